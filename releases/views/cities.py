"""Public home and city pages. Every read goes through releases.selectors.public_* and
releases.statistics; permission: anyone."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from releases import selectors, statistics

PAGE_SIZE = 20


@require_safe
def home(request):
    return render(
        request,
        "releases/public/home.html",
        {"cities": selectors.public_cities(), "latest": selectors.public_releases()[:6]},
    )


@require_safe
def city_detail(request, slug: str):
    city = selectors.public_city(slug)
    page = Paginator(selectors.public_releases().filter(city=city), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "releases/public/city_detail.html",
        {"city": city, "page": page, "figures": statistics.request_figures(city)},
    )
