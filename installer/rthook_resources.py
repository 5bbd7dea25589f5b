"""PyInstaller runtime hook: point runtime.resources at the bundle's copy of resources/.

Runs before the entry script. runtime/resources.py reads AGENT_ROSTER_RESOURCES
first, so the samples, templates, catalog, schema and icons are found in
`sys._MEIPASS/resources` wherever the bundle was unpacked or installed. A value
the user set explicitly (another resources folder) is kept.
"""

import os
import sys

_bundle = getattr(sys, "_MEIPASS", None)
if _bundle:
    os.environ.setdefault("AGENT_ROSTER_RESOURCES", os.path.join(_bundle, "resources"))
