import sys

from player.start import main

sys.exit(main())
