"""`python -m bench.pages` (the parent's child processes, and `--markdown FILE`)."""

import sys

from bench.pages.command import main

sys.exit(main())
