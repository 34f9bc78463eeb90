"""Serve single files from installed packages as static files (no CDN, no build step).

The charting library's JavaScript ships inside its PyPI package (`plotly/package_data/
plotly.min.js`); this finder exposes just that file as `vendor/plotly.min.js`, so `runserver`,
whitenoise and `collectstatic` all find it like any other static file, at the version pinned in
pyproject.toml.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

# static path -> (package, file inside the package)
PACKAGE_FILES = {
    "vendor/plotly.min.js": ("plotly", "package_data/plotly.min.js"),
}


def _package_file(package: str, relative: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


class PackageFileFinder(BaseFinder):
    def find(self, path: str, find_all: bool = False, **kwargs):
        found = []
        if path in PACKAGE_FILES:
            file = _package_file(*PACKAGE_FILES[path])
            if file is not None:
                found.append(str(file))
        if find_all or kwargs.get("all"):
            return found
        return found[0] if found else []

    def list(self, ignore_patterns):
        for static_path, (package, relative) in PACKAGE_FILES.items():
            file = _package_file(package, relative)
            if file is None:
                continue
            storage = FileSystemStorage(location=str(file.parent))
            # collectstatic joins the prefix and the name: the file lands at its static path.
            storage.prefix = str(Path(static_path).parent)
            yield file.name, storage
