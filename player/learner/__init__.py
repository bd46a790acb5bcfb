"""The learner: audio analysis and model training, in a process of their own.

- :mod:`player.learner.messages`: what the window and the learner say to each other;
- :mod:`player.learner.core`: the work itself (also run in-process by ``segue analyse``
  and ``segue status --train``);
- :mod:`player.learner.process`: the learner process's entry point and its loop;
- :mod:`player.learner.client`: the window's side: start, talk, restart after a crash.

The window imports only ``messages``, ``process`` (to name the entry point) and
``client``; none of them imports torch.
"""
