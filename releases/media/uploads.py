"""Upload handler that hashes each file while it streams to disk, and enforces the size limit."""

import hashlib

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class HashingUploadHandler(TemporaryFileUploadHandler):
    """Like Django's temporary-file handler, plus a running SHA-256 and a size cap.

    Past MAX_UPLOAD_SIZE the handler stops writing (so a huge upload cannot fill the
    disk) and flags the file; the form then reports the limit in plain words.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self._sha256 = hashlib.sha256()
        self._received = 0
        self._too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._received += len(raw_data)
        if self._received > settings.MAX_UPLOAD_SIZE:
            self._too_large = True
            return None
        self._sha256.update(raw_data)
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int):
        uploaded = super().file_complete(file_size)
        uploaded.size = self._received
        uploaded.too_large = self._too_large
        uploaded.sha256 = None if self._too_large else self._sha256.hexdigest()
        return uploaded
