"""Put the platform's Django package on sys.path and configure Django (for worker processes).

`platform/` is a plain folder so it never hides Python's own `platform` module; every entry point
adds it to sys.path itself.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def add_platform_to_path() -> None:
    for entry in (str(ROOT / "platform"), str(ROOT)):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolrl_web.settings")
