"""Public URLs (namespace 'public'): pages in English at /… and in Spanish at /es/…; data and files at one address.

Pages (HTML, and the Atom feeds, whose titles and links follow the page's language) sit
behind Django's language prefix: none for English (prefix_default_language=False), "es/"
for Spanish, so reverse() and {% url %} give the address in the active language and
django.urls.translate_url() the same page in the other one. Files and machine-readable
data (media, manifests, signatures, keys, redaction logs, audit.json, the request log's
CSV, the sitemap) have a single unprefixed address in every language: their bytes do not
depend on it, and a signed manifest or a hash must not have two URLs.

The language prefix is nested inside the namespace (a resolver built directly, as include()
refuses i18n_patterns below the root), so both kinds share the 'public' namespace;
portal/urls.py adds the root-level marker LocaleMiddleware looks for.
"""

from django.urls import URLPattern, URLResolver, path
from django.urls.resolvers import LocalePrefixPattern

from releases.views import public_urls

# Route names (releases/views/public_urls.py) with one address in every language. Any other
# public route is a page and gets the language prefix.
UNPREFIXED = frozenset(
    {
        "media",
        "redaction-log-json",
        "redaction-log-csv",
        "redaction-log-vtt",
        "manifest-json",
        "manifest-signature",
        "current-key",
        "key-pem",
        "audit-json",
        "request-log-csv",
        "sitemap",
        # Open data keeps one address in both languages.
        "data-statistics-csv",
        "data-statistics-json",
        "data-releases-csv",
        "data-releases-json",
    }
)


def _split(patterns: list[URLPattern]) -> tuple[list[URLPattern], list[URLPattern]]:
    pages = [p for p in patterns if p.name not in UNPREFIXED]
    data = [p for p in patterns if p.name in UNPREFIXED]
    return pages, data


_pages, _data = _split(public_urls.urlpatterns)

urlpatterns = [
    path("", ([URLResolver(LocalePrefixPattern(prefix_default_language=False), _pages), *_data], "public", "public")),
]
