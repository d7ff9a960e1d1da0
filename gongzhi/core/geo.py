"""Coordinates at the edge: phones' map SDKs give GCJ-02 (高德, 腾讯) or BD-09 (百度);
everything is stored as WGS-84/CGCS2000 (the two differ by far less than a metre)."""

import prcoords

CRS_CHOICES = ("wgs84", "gcj02", "bd09")


def to_wgs84(lng: float, lat: float, crs: str = "wgs84") -> tuple[float, float]:
    """(lng, lat) in WGS-84. prcoords works in (lat, lng) and inverts precisely."""
    if crs == "wgs84":
        return lng, lat
    if crs == "gcj02":
        lat2, lng2 = prcoords.gcj_wgs_bored((lat, lng))
    elif crs == "bd09":
        lat2, lng2 = prcoords.bd_wgs_bored((lat, lng))
    else:
        raise ValueError(f"unknown coordinate system {crs!r}")
    return lng2, lat2


def valid_lng_lat(lng: float, lat: float) -> bool:
    """Inside the range China's coordinates can take (with a margin)."""
    return 70.0 <= lng <= 140.0 and 0.0 <= lat <= 56.0
