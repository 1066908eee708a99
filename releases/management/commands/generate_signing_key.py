"""Write a new Ed25519 manifest signing key (PKCS#8 PEM, mode 0600); never overwrite one."""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from releases import signing


class Command(BaseCommand):
    help = (
        "Write a new Ed25519 private key for signing release manifests (default: MANIFEST_SIGNING_KEY_FILE) "
        "and print its public fingerprint. Refuses to overwrite an existing file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", help="Where to write the key (default: settings.MANIFEST_SIGNING_KEY_FILE).")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing, successfully, when the file already exists (for `make demo`).",
        )

    def handle(self, *args, path=None, if_missing=False, **options):
        target = Path(path or settings.MANIFEST_SIGNING_KEY_FILE or "")
        if not str(target) or str(target) == ".":
            raise CommandError("No path: pass --path or set MANIFEST_SIGNING_KEY_FILE.")
        target.parent.mkdir(parents=True, exist_ok=True)
        pem = signing.generate_private_key_pem()
        # O_EXCL: never replace an existing key (a rotation is a deliberate act), not even one
        # that appears meanwhile. Mode 0600 from creation: never readable by others, even briefly.
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            if if_missing:
                return
            raise CommandError(
                f"{target} already exists; not overwriting it. Replacing a signing key is a key rotation: "
                "move the old file away deliberately first (its public key stays listed on /keys/)."
            ) from None
        with os.fdopen(fd, "w") as fh:
            os.fchmod(fh.fileno(), 0o600)  # whatever the umask
            fh.write(pem)
        public = serialization.load_pem_private_key(pem.encode(), password=None).public_key()
        self.stdout.write(f"Wrote a new Ed25519 signing key to {target} (mode 0600). Keep it secret; never commit it.")
        self.stdout.write(f"Public key fingerprint (SHA-256): {signing.fingerprint(public)}")
        if settings.MANIFEST_SIGNING_KEY:
            self.stderr.write("Note: MANIFEST_SIGNING_KEY is set and takes precedence over any key file.")
        elif Path(settings.MANIFEST_SIGNING_KEY_FILE or "").resolve() != target.resolve():
            self.stderr.write(f"Note: the portal signs with it once MANIFEST_SIGNING_KEY_FILE={target}.")
