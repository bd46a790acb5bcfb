"""What the window and the learner process say to each other: small frozen dataclasses.

They travel over a :func:`multiprocessing.Pipe` (pickled). Both ends accept only
the classes listed here (:func:`checked`), so a stray object is logged and dropped
instead of being acted on. Window → learner: :data:`TO_LEARNER`; learner →
window: :data:`TO_WINDOW`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    """Base class of every message."""


# -- window -> learner --------------------------------------------------------------------
@dataclass(frozen=True)
class Analyse(Message):
    """The library changed: analyse the tracks that have no features yet."""

    retry_errors: bool = False


@dataclass(frozen=True)
class PlaysLogged(Message):
    """Plays were logged: a training may be due (it runs before any more analysis)."""


@dataclass(frozen=True)
class TrainNow(Message):
    """Train now, even if fewer plays than usual are new."""


@dataclass(frozen=True)
class Playback(Message):
    """Music started or stopped playing (analysis may step aside, see the learner's policy)."""

    playing: bool


@dataclass(frozen=True)
class Underrun(Message):
    """The audio output ran dry while the learner was analysing: back off for a while."""


@dataclass(frozen=True)
class Pause(Message):
    """Hold analysis between tracks until :class:`Resume`."""


@dataclass(frozen=True)
class Resume(Message):
    """Let a paused analysis go on."""


@dataclass(frozen=True)
class Cancel(Message):
    """Stop the analysis pass under way (finished tracks are kept; the next Analyse resumes)."""


@dataclass(frozen=True)
class Settings(Message):
    """Changed settings (key -> value), e.g. ``analysis.while_playing``."""

    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Ping(Message):
    """Answered by :class:`Pong` with the same token (a liveness check)."""

    token: int = 0


@dataclass(frozen=True)
class Shutdown(Message):
    """Finish the track or training under way and exit."""


# -- learner -> window --------------------------------------------------------------------
@dataclass(frozen=True)
class Ready(Message):
    """The learner process runs and has opened the store."""

    pid: int


@dataclass(frozen=True)
class Pong(Message):
    token: int = 0


@dataclass(frozen=True)
class AnalysisProgress(Message):
    """``done`` of ``total`` tracks of this pass (``errors`` of them undecodable)."""

    done: int
    total: int
    errors: int = 0
    paused: str = ""          # why analysis waits, in words ("" while it runs)


@dataclass(frozen=True)
class AnalysisFinished(Message):
    analysed: int
    errors: int
    total: int
    cancelled: bool = False
    seconds: float = 0.0
    device: str = ""
    error: str = ""           # the pass failed as a whole (e.g. the tagger could not load)


@dataclass(frozen=True)
class FeaturesChanged(Message):
    """New audio features are in the store: catalogues built before miss them."""

    analysed: int


@dataclass(frozen=True)
class TrainingProgress(Message):
    stage: str
    fraction: float


@dataclass(frozen=True)
class ModelsChanged(Message):
    """A new run of local models is complete (``run`` under the models folder)."""

    run: str
    n_plays: int
    finished_at: float
    metrics: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingFailed(Message):
    error: str


TO_LEARNER = (Analyse, PlaysLogged, TrainNow, Playback, Underrun, Pause, Resume, Cancel, Settings, Ping, Shutdown)
TO_WINDOW = (Ready, Pong, AnalysisProgress, AnalysisFinished, FeaturesChanged, TrainingProgress, ModelsChanged,
             TrainingFailed)


def checked(obj, allowed: tuple) -> Message | None:
    """``obj`` if it is one of the ``allowed`` message classes, else None."""
    return obj if type(obj) in allowed else None
