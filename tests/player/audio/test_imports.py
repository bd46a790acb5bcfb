import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_player_core_loads_without_qt_torch_or_portaudio():
    code = ("import sys, player.playback, player.audio, player.audio.null_engine, player.commands.play; "
            "bad = [m for m in ('PySide6', 'torch', 'sounddevice') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
