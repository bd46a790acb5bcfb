"""``python -m recommender.evaluate ...``: the command line of the research shelf.

Kept at this address so the command stays short; everything it runs lives in
:mod:`recommender.research` (see :mod:`recommender.research.evaluate` for the
subcommands). Nothing imports this module: it only runs as a script.
"""

import sys

if __name__ == "__main__":
    from recommender.research.evaluate import main

    sys.exit(main())
