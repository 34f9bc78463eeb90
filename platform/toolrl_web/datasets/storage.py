"""Where uploaded files and what is made from them live, under `TOOLRL_UPLOADS_DIR`.

```
uploads/tmp/                      uploads being received (renamed away or deleted)
uploads/files/ab/<sha256>         originals by content hash: the same file is stored once
uploads/prepared/<dataset>/v<N>/  rows.jsonl (+ .idx), train.jsonl, validation.jsonl
```

Every path handed out is built here from a record (a hash, an id), never from user input, and
checked to resolve inside the uploads folder, symlinks included.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import IO

from django.conf import settings

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class OutsideUploads(Exception):
    """A path that would leave the uploads folder."""


def root() -> Path:
    return Path(settings.UPLOADS_DIR).resolve()


def confined(path: Path) -> Path:
    """`path` resolved (symlinks followed), or OutsideUploads if that leaves the uploads folder."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root()):
        raise OutsideUploads(str(path))
    return resolved


def staging_dir() -> Path:
    folder = root() / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def blob_path(sha256: str) -> Path:
    """Where the file with this content hash is stored (it may not exist)."""
    if not _SHA256.match(sha256 or ""):
        raise OutsideUploads(f"not a content hash: {sha256!r}")
    return confined(root() / "files" / sha256[:2] / sha256)


def store_staged(path: Path, sha256: str) -> Path:
    """Move a fully received file into the store under its hash (atomic rename on the same
    filesystem); when the same content is already stored, the staged copy is dropped."""
    target = blob_path(sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        path.unlink(missing_ok=True)
    else:
        os.replace(path, target)
    return target


def store_stream(stream: IO[bytes]) -> tuple[str, int]:
    """Store a readable binary stream; returns (sha256, size). Nothing is left on failure."""
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(prefix="store-", dir=staging_dir())
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        sha = digest.hexdigest()
        store_staged(Path(tmp), sha)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha, size


def remove_blob(sha256: str) -> None:
    try:
        blob_path(sha256).unlink(missing_ok=True)
    except OutsideUploads:
        pass


def prepared_dir(dataset_id: int, version: int) -> Path:
    return confined(root() / "prepared" / str(int(dataset_id)) / f"v{int(version)}")


def prepared_staging(dataset_id: int, version: int) -> Path:
    """A fresh folder to build a version's files in; renamed into place when complete."""
    parent = root() / "prepared" / str(int(dataset_id))
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".v{int(version)}-", dir=parent))


def publish_prepared(staging: Path, dataset_id: int, version: int) -> Path:
    final = prepared_dir(dataset_id, version)
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)
    return final


def remove_prepared(dataset_id: int, *, keep: set[int] | None = None) -> None:
    """Delete a dataset's prepared versions except those in `keep` (None: delete all)."""
    parent = root() / "prepared" / str(int(dataset_id))
    if not parent.is_dir():
        return
    for child in parent.iterdir():
        number = child.name.removeprefix("v")
        if keep is not None and number.isdigit() and int(number) in keep:
            continue
        shutil.rmtree(child, ignore_errors=True)
    if keep is None:
        shutil.rmtree(parent, ignore_errors=True)


def sweep_staging(older_than_seconds: float = 24 * 3600) -> None:
    """Remove staged uploads a crashed process left behind."""
    cutoff = time.time() - older_than_seconds
    for child in staging_dir().iterdir():
        try:
            if child.stat().st_mtime < cutoff:
                child.unlink()
        except OSError:
            continue
