"""The same public page in each language: base.html's language switcher and its hreflang links.

A page's other-language address is its route reversed under that language (see
releases/urls.py: English unprefixed, Spanish under /es/), with the same arguments and
query string. Pages outside the 'public' namespace (staff) get none: they are English only.
"""

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation

register = template.Library()

# Routes that answer POST only: their page links to the page the form is on.
POST_ONLY = {"request-status-action": "request-status"}


def _path(request, code: str) -> str:
    match = getattr(request, "resolver_match", None)
    query = request.META.get("QUERY_STRING", "")
    with translation.override(code):
        if match is None or match.namespace != "public" or not match.url_name:
            # An address nothing answers (the 404 page): the other language's home page.
            return reverse("public:home")
        name, kwargs = match.url_name, match.kwargs
        if name in POST_ONLY:
            name, kwargs, query = POST_ONLY[name], {"token": kwargs.get("token", "")}, ""
        try:
            path = reverse(f"public:{name}", args=match.args, kwargs=kwargs)
        except NoReverseMatch:
            return reverse("public:home")
    return f"{path}?{query}" if query else path


@register.simple_tag(takes_context=True)
def language_versions(context) -> list[dict]:
    """Each language's version of this page: code, name (in its own language), path (with
    the query string), absolute url, whether it is the page's language and whether it is the
    default one. Empty outside
    the public pages."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if request is None or (match is not None and match.namespace != "public"):
        return []
    current = translation.get_language()
    versions = []
    for code, name in settings.LANGUAGES:
        path = _path(request, code)
        versions.append(
            {
                "code": code,
                "name": name,
                "path": path,
                "url": request.build_absolute_uri(path),
                "current": code == current,
                "default": code == settings.LANGUAGE_CODE,  # also hreflang="x-default"
            }
        )
    return versions
