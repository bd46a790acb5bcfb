"""Segue's recommender: features, models, training, ranking and evaluation.

Qt-free and usable from a script or a notebook. Never imports :mod:`player`.
"""
