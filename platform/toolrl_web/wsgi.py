"""WSGI entry point (gunicorn runs it with `--pythonpath platform`)."""

import os
import sys
from pathlib import Path

_PLATFORM = Path(__file__).resolve().parents[1]
if str(_PLATFORM) not in sys.path:
    sys.path.insert(0, str(_PLATFORM))
if str(_PLATFORM.parent) not in sys.path:
    sys.path.insert(0, str(_PLATFORM.parent))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolrl_web.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
