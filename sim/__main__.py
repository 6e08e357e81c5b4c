"""``python -m rwasim``: the same command as the ``rwasim`` console script."""

import sys

from rwasim.cli import main

sys.exit(main())
