"""Public verification: signed manifests, signing keys, and "is this file published?".

Permission: anyone. Every read goes through releases.selectors.public_*, so a release that
is not published now (draft, approved, scheduled, withdrawn) has no manifest here; a
superseded version of a published release keeps its manifest, as its files' hashes stay
listed. Responses revalidate every time (no-cache), so a withdrawal takes effect at once.
"""

import re

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import condition, require_safe

from releases import selectors

_NO_CACHE = {"Cache-Control": "no-cache"}


def _manifest_etag(request, slug: str, number: int) -> str:
    return selectors.public_version(slug, number).manifest_sha256


@require_safe
@condition(etag_func=_manifest_etag)
def manifest_json(request, slug: str, number: int):
    """The exact signed bytes: re-encoding the JSON would break the signature."""
    version = selectors.public_version(slug, number)
    return HttpResponse(
        version.manifest.encode(),
        content_type="application/json; charset=utf-8",
        headers={**_NO_CACHE, "Content-Disposition": f'inline; filename="{slug}-v{number}-manifest.json"'},
    )


@require_safe
def manifest_signature(request, slug: str, number: int):
    version = selectors.public_version(slug, number)
    return HttpResponse(
        version.signature,
        content_type="text/plain; charset=utf-8",
        headers={**_NO_CACHE, "Content-Disposition": f'inline; filename="{slug}-v{number}-manifest.sig"'},
    )


@require_safe
def keys(request):
    return render(request, "releases/public/keys.html", {"keys": selectors.public_signing_keys()})


@require_safe
def key_pem(request, fingerprint: str):
    return _pem_response(selectors.public_signing_key(fingerprint))


@require_safe
def current_key_pem(request):
    return _pem_response(selectors.public_current_signing_key())


def _pem_response(key: selectors.PublicSigningKey) -> HttpResponse:
    return HttpResponse(
        key.public_key_pem,
        content_type="application/x-pem-file",
        headers={
            **_NO_CACHE,
            "Content-Disposition": f'inline; filename="signing-key-{key.fingerprint[:16]}.pem"',
        },
    )


# --- "is this file published?" ---------------------------------------------------------

_SHA256 = re.compile(r"[0-9a-f]{64}")
# `sha256sum` prints "<hash>  <name>" (or "<hash> *<name>"): accept a pasted line as it is.
_SHA256SUM_LINE = re.compile(r"([0-9a-fA-F]{64})\s+\*?\S.*")


class HashForm(forms.Form):
    sha256 = forms.CharField(label=_("SHA-256 fingerprint of the file"), max_length=300)

    def clean_sha256(self) -> str:
        value = self.cleaned_data["sha256"].strip()
        line = _SHA256SUM_LINE.fullmatch(value)
        # Some tools (older `certutil`) print the hash in groups separated by spaces.
        value = line.group(1).lower() if line else "".join(value.split()).lower()
        if len(value) != 64:
            raise forms.ValidationError(
                ngettext(
                    "That is %(count)d character long. A SHA-256 fingerprint has exactly 64 characters.",
                    "That is %(count)d characters long. A SHA-256 fingerprint has exactly 64 characters.",
                    len(value),
                )
                % {"count": len(value)},
                code="length",
            )
        if not _SHA256.fullmatch(value):
            raise forms.ValidationError(
                _("A SHA-256 fingerprint uses only the digits 0–9 and the letters a–f."), code="characters"
            )
        return value


@require_safe
def verify(request):
    """A GET form, so it works without JavaScript; with it, the browser hashes a chosen file
    locally (static/js/verify.js) and submits only the hash."""
    form = HashForm(request.GET if "sha256" in request.GET else None)
    matches = selectors.public_file_matches(form.cleaned_data["sha256"]) if form.is_valid() else None
    return render(request, "releases/public/verify.html", {"form": form, "matches": matches})
