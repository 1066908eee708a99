"""Atom feeds of published releases and of their corrections and withdrawals, and the sitemap.

Permission: anyone. Reads only through releases.selectors (feeds.py there): a release is
shown as its public version says, never as its working copy, and a withdrawn release only
as its tombstone does (the title it was published under, the date, the public reason).
Entries name the portal as their author, never a member of staff. Feeds follow the page's
language (/feeds/… English, /es/feeds/… Spanish, linking pages in that language); the sitemap
has one address and lists every page in both (docs/i18n.md). See docs/feeds.md.
"""

from django.contrib.sitemaps import Sitemap
from django.contrib.syndication.views import Feed
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from releases import selectors

AUTHOR = gettext_lazy("ICE Body Camera Transparency Portal")
# Revalidated every time: a withdrawal must leave the feeds at once.
CACHE_CONTROL = "no-cache"


class _AtomFeed(Feed):
    feed_type = Atom1Feed
    author_name = AUTHOR

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["Cache-Control"] = CACHE_CONTROL
        return response

    def get_feed(self, obj, request):
        # Feed makes links absolute but not ids (item_guid); an Atom id must be an absolute IRI.
        feed = super().get_feed(obj, request)
        for item in feed.items:
            item["unique_id"] = request.build_absolute_uri(item["unique_id"])
        return feed

    def item_author_name(self, item) -> str:
        return AUTHOR


class ReleasesFeed(_AtomFeed):
    """The newest published releases as their current public version says.

    An entry's id and link are the release's page, which stays the same across corrections;
    its <updated> is the current version's publication, its <published> the first one."""

    title = gettext_lazy("Released body-worn camera footage")
    link = reverse_lazy("public:release-list")
    subtitle = gettext_lazy("Newly published body-worn camera footage from ICE's camera program, newest first.")

    def items(self, obj=None):
        return selectors.public_feed_versions()

    def item_title(self, version) -> str:
        return version.title

    def item_description(self, version) -> str:
        # Atom readers take the summary as HTML; it is plain text.
        return escape(version.summary)

    def item_link(self, version) -> str:
        return version.release.get_absolute_url()

    def item_pubdate(self, version):
        return version.release.published_at or version.published_at

    def item_updateddate(self, version):
        return version.published_at

    def item_categories(self, version):
        return [version.city.name]


class CityReleasesFeed(ReleasesFeed):
    """One city's published releases; 404 for an unknown city."""

    def get_object(self, request, slug: str):
        return selectors.public_city(slug)

    def title(self, city) -> str:
        return _("Released body-worn camera footage: %(city)s, %(state)s") % {"city": city.name, "state": city.state}

    def subtitle(self, city) -> str:
        return _("Newly published body-worn camera footage from %(city)s, %(state)s, newest first.") % {
            "city": city.name,
            "state": city.state,
        }

    def link(self, city) -> str:
        return city.get_absolute_url()

    def items(self, city):
        return selectors.public_feed_versions(city)


class ChangesFeed(_AtomFeed):
    """Published corrections and withdrawals, newest first.

    A correction's id and link are its version on the release's page (#version-N); a
    withdrawal's link is the tombstone at the release's address, its id that address with
    #withdrawn (so it differs from the release's entry in the releases feed)."""

    title = gettext_lazy("Corrections and withdrawals of released footage")
    link = reverse_lazy("public:audit")
    subtitle = gettext_lazy(
        "Every published correction of a release, with its public reason, and every withdrawal, with why."
    )

    def items(self):
        return selectors.public_changes()

    def item_title(self, change) -> str:
        if change.kind == change.WITHDRAWAL:
            return _("Withdrawn: %(title)s") % {"title": change.title}
        return _("Corrected (version %(number)s): %(title)s") % {"number": change.version, "title": change.title}

    def item_description(self, change) -> str:
        if change.kind == change.WITHDRAWAL:
            when = timezone.localtime(change.at).strftime("%Y-%m-%d")
            text = _("Withdrawn on %(date)s. Why: %(reason)s") % {"date": when, "reason": change.reason}
        else:
            text = _("Version %(number)s corrects the release. Why: %(reason)s") % {
                "number": change.version,
                "reason": change.reason,
            }
            text = f"{text}\n\n{change.summary}"
        return escape(text).replace("\n", "<br>")

    def item_link(self, change) -> str:
        url = reverse("public:release-detail", kwargs={"slug": change.slug})
        return url if change.kind == change.WITHDRAWAL else f"{url}#version-{change.version}"

    def item_guid(self, change) -> str:
        url = reverse("public:release-detail", kwargs={"slug": change.slug})
        return f"{url}#withdrawn" if change.kind == change.WITHDRAWAL else f"{url}#version-{change.version}"

    def item_pubdate(self, change):
        return change.at

    def item_updateddate(self, change):
        return change.at

    def item_categories(self, change):
        return [change.city_name]


# --- the sitemap --------------------------------------------------------------------------
# Public pages only: never staff pages, status-token URLs or media files. Each page is listed
# in every language (English at /…, Spanish at /es/…), each entry naming the others as its
# hreflang alternates, English also as x-default.


class _PublicSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class StaticSitemap(_PublicSitemap):
    def items(self):
        return [
            "public:home", "public:release-list", "public:city-list", "public:request-log", "public:verify",
            "public:data", "public:data-dictionary",
        ]  # fmt: skip

    def location(self, name: str) -> str:
        return reverse(name)


class CitySitemap(_PublicSitemap):
    def items(self):
        return selectors.public_cities()


class ReleaseSitemap(_PublicSitemap):
    """Every published release's page; its last change is its current version's publication."""

    def items(self):
        return selectors.public_sitemap_versions()

    def location(self, version) -> str:
        return version.release.get_absolute_url()

    def lastmod(self, version):
        return version.published_at


SITEMAPS = {"pages": StaticSitemap, "cities": CitySitemap, "releases": ReleaseSitemap}
