"""`python -m training.corpus check [FILE ...]`."""

import sys

from training.corpus import main

sys.exit(main(sys.argv[1:]))
