"""Boundaries for the shared tree (gongzhi/conftest.py), in WGS-84 near 112.4 E 34.6 N.

community 990101001001  112.40–112.44 × 34.60–34.64
  grid A  …001          112.40–112.42      (shares x = 112.42 with grid B)
    micro-grid A1 …001  112.40–112.41 × 34.60–34.62
  grid B  …002          112.42–112.44
community2 990101001002 112.44–112.48 × 34.60–34.64
  grid C                the same square
"""

import json

import pytest

from gongzhi.orgs import geo, locator
from gongzhi.orgs.models import OrgUnit


def box(west, south, east, north) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


def feature(code, geometry, **props) -> dict:
    return {"type": "Feature", "properties": {"code": code, **props}, "geometry": geometry}


def collection(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


BOXES = {
    "community": box(112.40, 34.60, 112.44, 34.64),
    "grid_a": box(112.40, 34.60, 112.42, 34.64),
    "micro_a1": box(112.40, 34.60, 112.41, 34.62),
    "grid_b": box(112.42, 34.60, 112.44, 34.64),
    "community2": box(112.44, 34.60, 112.48, 34.64),
    "grid_c": box(112.44, 34.60, 112.48, 34.64),
}


def store(unit: OrgUnit, geometry: dict) -> None:
    """Set a boundary directly (as a previous import would have)."""
    from django.utils import timezone

    shape = geo.from_geojson(geometry)
    unit.boundary, unit.boundary_bbox = geometry, geo.bbox(shape)
    unit.boundary_updated_at = timezone.now()
    unit.save()


@pytest.fixture(autouse=True)
def _fresh_locator():
    """The locator caches per process; each test starts from its own database."""
    locator.invalidate()
    yield
    locator.invalidate()
