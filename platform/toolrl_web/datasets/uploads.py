"""The upload handler: every uploaded file streams to disk under the uploads folder while its
SHA-256 is computed, and an upload above `UPLOAD_MAX_BYTES` is refused as it arrives.

Installed for the whole site (`FILE_UPLOAD_HANDLERS`), so CSRF checking stays the ordinary
middleware's. A refused upload leaves `request.upload_refused` (the message to show) and no file;
the staged file of an accepted upload is renamed into the store by the service that keeps it, and
deleted when the request ends otherwise.
"""

from __future__ import annotations

import hashlib
import tempfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat

from toolrl_web.datasets import storage


class StagedUpload(UploadedFile):
    """An uploaded file on disk in the staging folder, with its content hash."""

    def __init__(self, name: str, content_type: str, charset: str | None, extra: dict | None):
        file = tempfile.NamedTemporaryFile(suffix=".upload", dir=storage.staging_dir())  # noqa: SIM115
        super().__init__(file, name, content_type, 0, charset, extra)
        self.sha256 = ""

    def temporary_file_path(self) -> str:
        return self.file.name

    def close(self) -> None:
        try:
            self.file.close()
        except FileNotFoundError:
            pass  # it was moved into the store


def too_large_message(limit: int) -> str:
    return (
        f"The file is larger than the upload limit of {filesizeformat(limit)} "
        "(TOOLRL_UPLOAD_MAX_BYTES). Upload a smaller file, or gzip it."
    )


class StagingUploadHandler(FileUploadHandler):
    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.limit = settings.UPLOAD_MAX_BYTES
        self.refused = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = settings.UPLOAD_MAX_BYTES
        self.refused = content_length is not None and content_length > self.limit + (1 << 20)
        return None

    def _refuse(self) -> None:
        if self.request is not None:
            self.request.upload_refused = too_large_message(self.limit)
        raise StopUpload(connection_reset=False)

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        if self.refused:
            self._refuse()
        self.digest = hashlib.sha256()
        self.received = 0
        self.file = StagedUpload(
            self.file_name, self.content_type, self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse()
        self.digest.update(raw_data)
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> StagedUpload:
        self.file.flush()
        self.file.seek(0)
        self.file.size = file_size
        self.file.sha256 = self.digest.hexdigest()
        return self.file

    def upload_interrupted(self) -> None:
        if hasattr(self, "file"):
            self.file.close()


def upload_refused(request) -> str | None:
    """Why the request's upload was refused (too large), or None. Parses the body first: the
    handler only runs when the request's files are read."""
    if request.method != "POST":
        return None
    request.FILES  # noqa: B018 - reading it runs the upload handlers
    return getattr(request, "upload_refused", None)
