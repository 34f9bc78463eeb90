#!/usr/bin/env python
"""Django's command line for the platform.

`platform/` is a plain folder (no __init__.py) so it never hides Python's own `platform` module;
the Django package inside it is put on sys.path here, as every entry point does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "platform"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolrl_web.settings")
    from django.core.management import execute_from_command_line

    from toolrl_web.errors import run_with_clear_errors

    run_with_clear_errors(lambda: execute_from_command_line(sys.argv))


if __name__ == "__main__":
    main()
