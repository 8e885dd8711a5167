"""``python -m bpfvm``: the bpfvm command line."""

import sys

from .cli import main

sys.exit(main())
