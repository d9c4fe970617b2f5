import sys

from loopnest.cli import main

sys.exit(main())
