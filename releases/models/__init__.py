"""Domain models, one module per topic."""

from releases.models.cities import City
from releases.models.footage import Footage, Rendition
from releases.models.releases import Release

__all__ = ["City", "Footage", "Release", "Rendition"]
