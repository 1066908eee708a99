"""Private vs public storage, opaque keys, and streaming copies that hash as they go.

Everything goes through Django's storage API, so local disk and S3 behave the same:
workers copy an object to a scratch directory, work there, and store the results back.
"""

import hashlib
import secrets
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

CHUNK_SIZE = 1024 * 1024


def private_storage() -> Storage:
    """Originals and work files. Never served under any URL."""
    return storages["private"]


def public_storage() -> Storage:
    """Only files of published releases."""
    return storages["public"]


class PrivateFileSystemStorage(FileSystemStorage):
    """Local private storage: it has no URL, so nothing can link to it by mistake."""

    def url(self, name: str | None) -> str:
        raise ValueError("Private storage has no public URL.")


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int
    sha256: str


def original_key() -> str:
    """An opaque key: no user name, no original filename, no release title."""
    return f"originals/{uuid.uuid4().hex}"


def job_prefix(footage_public_id: uuid.UUID, job_id: int, attempt: int, *, preview: bool = False) -> str:
    """Where one attempt of one job stores its outputs: a temporary prefix until the
    database points at it. Two attempts never write over each other."""
    root = "previews" if preview else "renditions"
    return f"{root}/{footage_public_id.hex}/{job_id}-{attempt}/"


def public_prefix() -> str:
    """A new unguessable prefix for every publication; withdrawn URLs never come back."""
    return f"r/{secrets.token_urlsafe(18)}/"


def sha256_stream(fileobj: BinaryIO) -> tuple[str, int]:
    """SHA-256 and size of a file object, read in chunks (never all into memory)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := fileobj.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def sha256_path(path: Path) -> tuple[str, int]:
    with open(path, "rb") as fh:
        return sha256_stream(fh)


def store_path(storage: Storage, name: str, path: Path) -> StoredFile:
    """Store a local file under `name`, returning the key actually used, size and hash."""
    sha256, size = sha256_path(path)
    with open(path, "rb") as fh:
        stored = storage.save(name, File(fh, name=Path(name).name))
    return StoredFile(stored, size, sha256)


def store_fileobj(storage: Storage, name: str, fileobj: BinaryIO, *, sha256: str | None = None) -> StoredFile:
    """Store an uploaded file. Its hash is the one computed while it streamed in, if known."""
    if sha256 is None:
        fileobj.seek(0)
        sha256, size = sha256_stream(fileobj)
    else:
        fileobj.seek(0, 2)
        size = fileobj.tell()
    fileobj.seek(0)
    stored = storage.save(name, File(fileobj, name=Path(name).name))
    return StoredFile(stored, size, sha256)


def fetch(storage: Storage, name: str, dest: Path) -> str:
    """Copy an object to a local path in chunks; return the SHA-256 of what was copied."""
    digest = hashlib.sha256()
    with storage.open(name, "rb") as src, open(dest, "wb") as out:
        while chunk := src.read(CHUNK_SIZE):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def copy_verified(src_storage: Storage, src_name: str, dst_storage: Storage, dst_name: str, sha256: str) -> str:
    """Copy between storages, refusing if the bytes no longer match the recorded hash.

    The copy is staged in a scratch file and checked before anything is written to the
    destination, so a changed or corrupted source never reaches public storage.
    """
    with scratch_dir() as tmp:
        local = Path(tmp) / "copy"
        actual = fetch(src_storage, src_name, local)
        if actual != sha256:
            raise IntegrityError(f"{src_name} does not match its recorded SHA-256 (expected {sha256}, found {actual}).")
        with open(local, "rb") as fh:
            return dst_storage.save(dst_name, File(fh, name=Path(dst_name).name))


def delete_quietly(storage: Storage, names: list[str]) -> None:
    for name in names:
        if name:
            storage.delete(name)


def delete_prefix(storage: Storage, prefix: str) -> int:
    """Delete every object under a prefix (an abandoned attempt's outputs)."""
    try:
        dirs, files = storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    count = 0
    for name in files:
        storage.delete(f"{prefix.rstrip('/')}/{name}")
        count += 1
    for sub in dirs:
        count += delete_prefix(storage, f"{prefix.rstrip('/')}/{sub}/")
    return count


def scratch_dir(label: str = "") -> tempfile.TemporaryDirectory:
    """A local working directory, removed on exit. Ones left by killed workers are
    removed by the sweeper (releases.processing.clean_scratch)."""
    root = Path(settings.SCRATCH_DIR)
    root.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=root, prefix=f"job-{label}-" if label else "job-")


class IntegrityError(Exception):
    """Stored bytes differ from the hash recorded for them."""
