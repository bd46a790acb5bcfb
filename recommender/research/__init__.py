"""The research bench: evaluation harnesses, dataset loaders, pretraining, baselines.

Nothing the app runs imports this package (``tests/test_quality.py`` checks it); it
imports the runtime package freely, to measure it. Command line:
``python -m recommender.evaluate cf|sessions|upnext ...`` and
``python -m recommender.research.pretrain``.
"""
