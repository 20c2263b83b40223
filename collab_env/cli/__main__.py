"""``python -m collab_env.cli``: the ``collab-env`` command."""

import sys

from collab_env.cli import main

if __name__ == "__main__":
    sys.exit(main())
