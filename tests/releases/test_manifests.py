"""Signed manifests on real files and real signatures: any tampering is caught, and
verify_release, generate_signing_key and the recipes of docs/verification.md work as written."""

import base64
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from releases import manifests, selectors, signing, workflow
from releases.models import PublishedFile, Rendition
from tests.releases.test_verification_views import publish_correction

DOCS = Path(__file__).resolve().parents[2] / "docs" / "verification.md"


def _flip(data: bytes, index: int) -> bytes:
    """The same bytes with one bit of one byte changed."""
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _download_urls(release) -> dict[str, str]:
    version = release.public_version
    return {
        "manifest.json": reverse("public:manifest-json", kwargs={"slug": release.slug, "number": version.number}),
        "manifest.sig": reverse("public:manifest-signature", kwargs={"slug": release.slug, "number": version.number}),
        "key.pem": reverse("public:key-pem", kwargs={"fingerprint": version.key_fingerprint}),
        "video.mp4": selectors.public_footage(release)[0].videos[0].url,
    }


@pytest.fixture
def downloads(published_release, client, tmp_path) -> Path:
    """What a journalist downloads over HTTP: the manifest, its signature, the key, the MP4."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    for name, url in _download_urls(published_release).items():
        response = client.get(url)
        assert response.status_code == 200, url
        (folder / name).write_bytes(_body(response))
    return folder


def _verify_release(*args: str) -> tuple[int, str]:
    """(exit status, everything printed) of `manage.py verify_release ARGS`."""
    out = io.StringIO()
    try:
        call_command("verify_release", *args, stdout=out, no_color=True)
    except CommandError as exc:
        return exc.returncode, f"{out.getvalue()}\n{exc}"
    return 0, out.getvalue()


def _doc_block(marker: str) -> str:
    """The fenced code block that follows `<!-- test: MARKER` in docs/verification.md."""
    after = DOCS.read_text().split(f"<!-- test: {marker}", 1)[1]
    block = re.search(r"```\w*\n(.*?)```", after, re.DOTALL)
    assert block is not None, marker
    return block.group(1)


# --- the signature ------------------------------------------------------------------------


def test_the_served_manifest_is_the_canonical_signed_bytes(published_release, downloads):
    version = published_release.public_version
    data = (downloads / "manifest.json").read_bytes()
    assert data == version.manifest.encode()
    assert manifests.canonical(json.loads(data)) == data
    assert hashlib.sha256(data).hexdigest() == version.manifest_sha256
    assert manifests.verify(version)

    document = json.loads(data)
    assert document["format"] == manifests.FORMAT
    assert document["version"] == 1
    assert document["supersedes"] is None
    video = (downloads / "video.mp4").read_bytes()
    [entry] = [f for f in document["footage"][0]["files"] if f["kind"] == Rendition.Kind.MP4]
    assert entry["sha256"] == hashlib.sha256(video).hexdigest()
    assert entry["size"] == len(video)


def test_changing_any_single_byte_of_the_manifest_breaks_the_signature(downloads):
    data = (downloads / "manifest.json").read_bytes()
    signature = (downloads / "manifest.sig").read_text()
    key = signing.load_public_key((downloads / "key.pem").read_bytes())
    assert signing.verify(data, signature, key)

    assert [i for i in range(len(data)) if signing.verify(_flip(data, i), signature, key)] == []
    assert not signing.verify(data + b"\n", signature, key)
    assert not signing.verify(data[:-1], signature, key)
    # The same content re-serialised (indented) is different bytes: it does not verify either.
    assert not signing.verify(json.dumps(json.loads(data), indent=2).encode(), signature, key)


def test_a_changed_signature_or_another_key_fails(downloads):
    data = (downloads / "manifest.json").read_bytes()
    signature = (downloads / "manifest.sig").read_text()
    key = signing.load_public_key((downloads / "key.pem").read_bytes())
    raw = base64.b64decode(signature)
    assert len(raw) == 64

    for i in range(len(raw)):
        assert not signing.verify(data, base64.b64encode(_flip(raw, i)).decode(), key), i
    assert not signing.verify(data, "not base64!", key)

    other = Ed25519PrivateKey.generate()
    assert not signing.verify(data, signature, other.public_key())
    # A signature over the very same bytes by someone else's key fails against the portal's key.
    assert not signing.verify(data, base64.b64encode(other.sign(data)).decode(), key)


# --- verify_release -----------------------------------------------------------------------


def test_verify_release_by_slug_matches_the_untouched_download(published_release, downloads):
    mp4 = PublishedFile.objects.get(footage__version=published_release.public_version, kind=Rendition.Kind.MP4)
    code, out = _verify_release(published_release.slug, "--file", str(downloads / "video.mp4"))
    assert code == 0, out
    assert "The signature is valid" in out
    assert published_release.public_version.key_fingerprint in out
    assert f"video.mp4: matches “{mp4.footage.label}”, file {mp4.name} ({mp4.size} bytes, SHA-256 {mp4.sha256})" in out
    assert "All checks passed." in out


def test_verify_release_fails_on_a_download_with_one_flipped_byte(published_release, downloads, tmp_path):
    video = downloads / "video.mp4"
    data = video.read_bytes()
    tampered = tmp_path / "tampered.mp4"
    tampered.write_bytes(_flip(data, len(data) // 2))

    code, out = _verify_release(published_release.slug, "--file", str(video), str(tampered))
    assert code == 1
    assert "The signature is valid" in out  # the manifest is fine; the file is not
    assert "video.mp4: matches" in out
    assert f"tampered.mp4: matches NOTHING in this manifest ({len(data)} bytes" in out
    assert "Verification FAILED" in out


def test_verify_release_checks_downloaded_files_with_the_signature_beside_the_manifest(downloads):
    manifest, key, video = downloads / "manifest.json", downloads / "key.pem", downloads / "video.mp4"
    code, out = _verify_release(str(manifest), "--key", str(key), "--file", str(video))
    assert code == 0, out
    assert "All checks passed." in out
    # Without --key, every key this portal has on record is tried.
    code, out = _verify_release(str(manifest), "--file", str(video))
    assert code == 0, out


@pytest.mark.parametrize("tamper", ["manifest", "signature", "key"])
def test_verify_release_fails_on_a_changed_manifest_signature_or_key(downloads, tmp_path, tamper):
    folder = tmp_path / "copy"
    shutil.copytree(downloads, folder)
    manifest, signature, key = folder / "manifest.json", folder / "manifest.sig", folder / "key.pem"
    if tamper == "manifest":
        data = manifest.read_bytes()
        manifest.write_bytes(_flip(data, data.index(b'"size":') + len(b'"size":')))
    elif tamper == "signature":
        raw = base64.b64decode(signature.read_text())
        signature.write_text(base64.b64encode(_flip(raw, 10)).decode())
    else:
        other = Ed25519PrivateKey.generate().public_key()
        key.write_text(signing.public_key_pem(other))

    code, out = _verify_release(str(manifest), "--key", str(key), "--file", str(folder / "video.mp4"))
    assert code == 1
    assert "The signature does NOT match" in out
    assert "NOT verified" in out
    assert "Verification FAILED" in out


def test_verify_release_refuses_a_withdrawn_release_with_the_reason(published_release, publisher):
    workflow.withdraw(published_release, actor=publisher, reason="Published by mistake.")
    code, out = _verify_release(published_release.slug)
    assert code == 1
    assert "was withdrawn on" in out
    assert "Published by mistake." in out


def test_verify_release_refuses_unknown_slugs_and_versions(published_release):
    code, out = _verify_release("no-such-release")
    assert code == 1
    assert "nothing published here is called 'no-such-release'" in out
    code, out = _verify_release(published_release.slug, "--version", "2")
    assert code == 1
    assert "version 2" in out


def test_verify_release_checks_a_superseded_version_and_says_so(
    published_release, uploader, reviewer, publisher, django_capture_on_commit_callbacks, downloads
):
    publish_correction(
        published_release,
        uploader=uploader,
        reviewer=reviewer,
        publisher=publisher,
        capture=django_capture_on_commit_callbacks,
        title="Corrected title",
        reason="The title was wrong.",
    )
    code, out = _verify_release(published_release.slug, "--version", "1", "--file", str(downloads / "video.mp4"))
    assert code == 0, out
    assert "version 1 was superseded by a correction" in out
    assert "the current one is 2" in out


def test_verify_release_fetches_the_manifest_signature_and_current_key_from_a_url(
    reference_data, published_release, live_server, tmp_path
):
    urls = {name: live_server.url + path for name, path in _download_urls(published_release).items()}
    video = tmp_path / "video.mp4"
    with urllib.request.urlopen(urls["video.mp4"]) as response:
        video.write_bytes(response.read())

    code, out = _verify_release(urls["manifest.json"], "--file", str(video))
    assert code == 0, out
    assert f"{live_server.url}/keys/current.pem (the site's current key)" in out
    assert "All checks passed." in out

    missing = urls["manifest.json"].replace("/v1/", "/v9/")
    code, out = _verify_release(missing)
    assert code == 1
    assert "answered 404" in out


# --- the documented recipes ---------------------------------------------------------------


def test_the_documented_python_recipe_verifies_a_real_download(published_release, downloads):
    (downloads / "check.py").write_text(_doc_block("python-recipe"))
    mp4 = PublishedFile.objects.get(footage__version=published_release.public_version, kind=Rendition.Kind.MP4)

    run = subprocess.run(
        [sys.executable, "check.py", "video.mp4"], cwd=downloads, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert f"key fingerprint: {published_release.public_version.key_fingerprint}" in run.stdout
    assert "signature OK" in run.stdout
    assert f"video.mp4: matches {mp4.footage.label} / {mp4.name} in version 1" in run.stdout


@pytest.mark.parametrize("tamper", ["video.mp4", "manifest.json"])
def test_the_documented_python_recipe_fails_on_a_changed_file(downloads, tamper):
    (downloads / "check.py").write_text(_doc_block("python-recipe"))
    target = downloads / tamper
    data = target.read_bytes()
    target.write_bytes(_flip(data, len(data) // 3))

    run = subprocess.run(
        [sys.executable, "check.py", "video.mp4"], cwd=downloads, capture_output=True, text=True, timeout=60
    )
    assert run.returncode != 0
    expected = "matches NOTHING" if tamper == "video.mp4" else "BAD SIGNATURE"
    assert expected in run.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not on PATH")
def test_the_documented_openssl_recipe_verifies_a_real_manifest_and_fails_on_a_tampered_one(downloads):
    command = _doc_block("openssl-recipe").strip()
    assert "openssl pkeyutl -verify -pubin -inkey key.pem -rawin" in command

    run = subprocess.run(["bash", "-c", command], cwd=downloads, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "Signature Verified Successfully" in run.stdout

    manifest = downloads / "manifest.json"
    data = manifest.read_bytes()
    manifest.write_bytes(_flip(data, data.index(b'"sha256":"') + len(b'"sha256":"')))
    run = subprocess.run(["bash", "-c", command], cwd=downloads, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "Signature Verification Failure" in run.stdout + run.stderr


@pytest.mark.skipif(
    shutil.which("openssl") is None or shutil.which("sha256sum") is None, reason="openssl or sha256sum missing"
)
def test_the_documented_openssl_fingerprint_and_sha256sum_commands_agree_with_the_portal(published_release, downloads):
    fingerprint = subprocess.run(
        ["bash", "-c", "openssl pkey -pubin -in key.pem -outform DER | tail -c 32 | sha256sum"],
        cwd=downloads, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert fingerprint.stdout.split()[0] == published_release.public_version.key_fingerprint
    video = subprocess.run(["sha256sum", "video.mp4"], cwd=downloads, capture_output=True, text=True, check=True)
    assert f'"sha256":"{video.stdout.split()[0]}"' in (downloads / "manifest.json").read_text()


# --- generate_signing_key -----------------------------------------------------------------


def test_generate_signing_key_writes_a_private_key_readable_only_by_its_owner(tmp_path, settings):
    path = tmp_path / "keys" / "signing.pem"
    out = io.StringIO()
    previous_umask = os.umask(0)  # even with a permissive umask
    try:
        call_command("generate_signing_key", "--path", str(path), stdout=out, stderr=io.StringIO())
    finally:
        os.umask(previous_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")

    settings.MANIFEST_SIGNING_KEY, settings.MANIFEST_SIGNING_KEY_FILE = "", str(path)
    signing.reset()
    assert f"Public key fingerprint (SHA-256): {signing.fingerprint()}" in out.getvalue()


def test_generate_signing_key_refuses_to_overwrite_a_key(tmp_path):
    path = tmp_path / "signing.pem"
    call_command("generate_signing_key", "--path", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    pem = path.read_text()

    with pytest.raises(CommandError, match="already exists; not overwriting it"):
        call_command("generate_signing_key", "--path", str(path), stdout=io.StringIO())
    assert path.read_text() == pem

    quiet = io.StringIO()
    call_command("generate_signing_key", "--path", str(path), "--if-missing", stdout=quiet)
    assert quiet.getvalue() == ""
    assert path.read_text() == pem


def test_generate_signing_key_writes_to_the_configured_key_file_by_default(tmp_path, settings):
    settings.MANIFEST_SIGNING_KEY, settings.MANIFEST_SIGNING_KEY_FILE = "", str(tmp_path / "var" / "signing-key.pem")
    call_command("generate_signing_key", "--if-missing", stdout=io.StringIO(), stderr=io.StringIO())
    signing.reset()
    assert re.fullmatch(r"[0-9a-f]{64}", signing.fingerprint())  # the portal loads it
    assert stat.S_IMODE(Path(settings.MANIFEST_SIGNING_KEY_FILE).stat().st_mode) == 0o600
