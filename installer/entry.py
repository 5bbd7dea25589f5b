"""The one entry script of the bundle: `roster` is the CLI, `roster-designer` the desktop app.

Both executables in the bundle are built from this script and share one
Python archive and one `_internal/` folder; the executable's own name picks
the program, the way a busybox does.
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path


def main() -> int:
    name = Path(sys.executable).stem.lower()
    if name.startswith("roster-designer"):
        from designer.app import main as designer_main

        return designer_main()
    from runtime.cli.main import main as cli_main

    return cli_main()


if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen child process must not re-run main()
    sys.exit(main())
