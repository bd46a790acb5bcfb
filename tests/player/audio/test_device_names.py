"""Output devices as Windows lists them: every card once per sound system."""

from player.audio.sd_engine import output_names, pick_output

# PortAudio's list on a Windows laptop: MME (0), DirectSound (1), WASAPI (2)
WINDOWS = [
    {"name": "Microsoft Sound Mapper - Input", "hostapi": 0, "max_output_channels": 0},
    {"name": "Microsoft Sound Mapper - Output", "hostapi": 0, "max_output_channels": 2},
    {"name": "Speakers (Realtek(R) Audio)", "hostapi": 0, "max_output_channels": 2},
    {"name": "Headphones (USB DAC)", "hostapi": 0, "max_output_channels": 2},
    {"name": "Primary Sound Driver", "hostapi": 1, "max_output_channels": 2},
    {"name": "Speakers (Realtek(R) Audio)", "hostapi": 1, "max_output_channels": 2},
    {"name": "Headphones (USB DAC)", "hostapi": 1, "max_output_channels": 2},
    {"name": "Speakers (Realtek(R) Audio)", "hostapi": 2, "max_output_channels": 2},
    {"name": "Headphones (USB DAC)", "hostapi": 2, "max_output_channels": 2},
    {"name": "Digital Output (Realtek(R) Audio)", "hostapi": 2, "max_output_channels": 2},
]


def test_each_output_is_listed_once_the_default_systems_first():
    # Settings offered "Speakers (Realtek(R) Audio)" three times, and the name chosen
    # matched three devices, which PortAudio refused as ambiguous: no sound.
    assert output_names(WINDOWS, 0) == ["Microsoft Sound Mapper - Output", "Speakers (Realtek(R) Audio)",
                                        "Headphones (USB DAC)", "Primary Sound Driver",
                                        "Digital Output (Realtek(R) Audio)"]


def test_a_name_opens_one_device_of_the_default_system_where_several_have_it():
    assert pick_output(WINDOWS, 0, "Speakers (Realtek(R) Audio)") == 2
    assert pick_output(WINDOWS, 2, "Headphones (USB DAC)") == 8
    assert pick_output(WINDOWS, 0, "Digital Output (Realtek(R) Audio)") == 9     # only WASAPI has it
    assert pick_output(WINDOWS, 0, "Microsoft Sound Mapper - Input") == "Microsoft Sound Mapper - Input"
    assert pick_output(WINDOWS, 0, "USB DAC") == "USB DAC"          # part of a name: PortAudio matches it
    assert pick_output(WINDOWS, 0, None) is None


def test_a_linux_list_is_unchanged():
    linux = [{"name": "pulse", "hostapi": 0, "max_output_channels": 32},
             {"name": "default", "hostapi": 0, "max_output_channels": 32},
             {"name": "HDA Intel PCH: ALC257 Analog (hw:0,0)", "hostapi": 0, "max_output_channels": 2}]
    assert output_names(linux, 0) == [d["name"] for d in linux]
    assert pick_output(linux, 0, "pulse") == 0
