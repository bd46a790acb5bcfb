"""When a frame the output took is heard, read from the record of the blocks it took."""

from player.audio.sd_engine import _Heard

RATE = 48_000


def test_a_frame_the_output_left_by_a_switch_took_is_heard_when_that_output_plays_it():
    # The next song's first frame taken by the output a switch leaves, the switch made before
    # the feeder saw it taken: the new output has taken only later frames (or none yet). Read
    # from the new output's blocks alone, it had no time: the window named the new song at
    # once, while the old output still played the last notes of the song before.
    left = _Heard()
    left.blocks[0] = (100.0, 0, 1024)
    left.blocks[1] = (100.0 + 1024 / RATE, 1024, 2048)
    left.told = 2
    now = _Heard(left=left)
    assert now.at(1500, RATE) == 100.0 + 1500 / RATE       # before the new output's first block
    now.blocks[0] = (100.3, 2048, 3072)
    now.told = 1
    assert now.at(1500, RATE) == 100.0 + 1500 / RATE
    assert now.at(2048 + 480, RATE) == 100.3 + 480 / RATE    # (its own frames from its own blocks)
    assert now.at(3072, RATE) is None                        # not taken yet


def test_a_frame_no_kept_block_took_has_no_time():
    heard = _Heard()
    assert heard.at(0, RATE) is None
    heard.blocks[0] = (5.0, 100, 200)
    heard.told = 1
    assert heard.at(50, RATE) is None
    assert heard.at(150, RATE) == 5.0 + 50 / RATE
