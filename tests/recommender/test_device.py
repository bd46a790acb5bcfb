import torch

from recommender.device import pick_device


def _auto():
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def test_environment_wins_over_the_callers_preference(monkeypatch):
    monkeypatch.setenv("SEGUE_DEVICE", "cpu")
    assert pick_device() == "cpu"
    assert pick_device("cuda") == "cpu"


def test_an_absent_device_falls_back_to_the_automatic_order(monkeypatch):
    monkeypatch.delenv("SEGUE_DEVICE", raising=False)
    assert pick_device() == _auto()
    assert pick_device("auto") == _auto()
    assert pick_device("cpu") == "cpu"
    absent = next((d for d in ("cuda", "mps") if d != _auto()), "mps")
    assert pick_device(absent) == _auto()
    assert pick_device("cuda:0") == ("cuda" if torch.cuda.is_available() else _auto())
    monkeypatch.setenv("SEGUE_DEVICE", "no-such-device")
    assert pick_device("cpu") == "cpu"
