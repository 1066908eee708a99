"""Ed25519 signing of release manifests and audit checkpoints (the `cryptography` package).

The private key comes from settings: MANIFEST_SIGNING_KEY (PEM text) or
MANIFEST_SIGNING_KEY_FILE (a PEM file; `make run` generates one under var/ for the demo).
It is never committed and never leaves this module. Without a key, nothing is signed and
publication is refused: an unsigned release would be one nobody can verify.

Fingerprint: SHA-256 of the 32 raw public-key bytes, in hex. The same value is shown on
the public key page and recorded with every signature, so a key rotation leaves old
signatures checkable against the key that made them (SigningKey rows).
"""

import base64
import functools
import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings


class SigningUnavailable(Exception):
    """No usable signing key is configured; the message says what to set."""


@functools.cache
def _private_key() -> Ed25519PrivateKey:
    pem = settings.MANIFEST_SIGNING_KEY
    source = "MANIFEST_SIGNING_KEY"
    if not pem and settings.MANIFEST_SIGNING_KEY_FILE:
        path = Path(settings.MANIFEST_SIGNING_KEY_FILE)
        source = f"MANIFEST_SIGNING_KEY_FILE ({path})"
        try:
            pem = path.read_text()
        except OSError as exc:
            raise SigningUnavailable(f"Cannot read the signing key from {source}: {exc.strerror}.") from None
    if not pem:
        raise SigningUnavailable(
            "No signing key is configured: set MANIFEST_SIGNING_KEY_FILE (or MANIFEST_SIGNING_KEY) to an "
            "Ed25519 private key in PEM form. `manage.py generate_signing_key` writes one."
        )
    try:
        key = serialization.load_pem_private_key(pem.replace("\\n", "\n").encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningUnavailable(f"The key in {source} is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningUnavailable(f"The key in {source} is not an Ed25519 key.")
    return key


def reset() -> None:
    """Forget the cached key (tests, or after rotating the key file)."""
    _private_key.cache_clear()


def generate_private_key_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_key() -> Ed25519PublicKey:
    return _private_key().public_key()


def public_key_pem(key: Ed25519PublicKey | None = None) -> str:
    key = key or public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint(key: Ed25519PublicKey | None = None) -> str:
    key = key or public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign(data: bytes) -> tuple[str, str]:
    """(base64 signature, key fingerprint). Records the public key so it stays listed."""
    from releases.models import SigningKey  # models import nothing from here; avoid a cycle at import

    key = _private_key()
    print_ = fingerprint(key.public_key())
    SigningKey.objects.get_or_create(fingerprint=print_, defaults={"public_key_pem": public_key_pem(key.public_key())})
    return base64.b64encode(key.sign(data)).decode(), print_


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("Not an Ed25519 public key.")
    return key


def verify(data: bytes, signature_b64: str, key: Ed25519PublicKey) -> bool:
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True
