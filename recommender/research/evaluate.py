"""Offline evaluation of Segue's recommenders on held-out data.

    python -m recommender.evaluate cf --dataset hetrec|msd
    python -m recommender.evaluate sessions --log PATH
    python -m recommender.evaluate upnext --log PATH
    python -m recommender.evaluate people --logs DIR
    python -m recommender.evaluate radio-skips --logs DIR

``cf`` lives in :mod:`recommender.research.eval_cf` (collaborative models, strong
generalisation); ``sessions`` in :mod:`recommender.research.eval_sessions` (next-track
prediction on a time-ordered split of one person's log); ``upnext`` in
:mod:`recommender.research.eval_upnext` (the app's own Up next ranker through the same
protocol, beside those models); ``people`` in :mod:`recommender.research.eval_people`
(every person in a folder of logs through ``upnext``, with means and intervals over people);
``radio-skips`` in :mod:`recommender.research.eval_radio_skips` (a simulated listener who
skips every pick of a station by an artist they did not play in the session).
"""

from __future__ import annotations

import importlib
import sys

SUBCOMMANDS = {"cf": "recommender.research.eval_cf", "sessions": "recommender.research.eval_sessions",
               "upnext": "recommender.research.eval_upnext", "people": "recommender.research.eval_people",
               "radio-skips": "recommender.research.eval_radio_skips"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in SUBCOMMANDS:
        print(__doc__.strip().splitlines()[2:4] and __doc__, file=sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[argv[0]])
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
