"""The Equal Earth projection (Šavrič, Patterson and Jenny, 2018), in plain Python.

An equal-area world projection: a country's area on the map is true to its area on the
globe, which is what a choropleth needs (a large country does not look like more cars).
`project(lon, lat)` gives map units, x to the east and y to the north; `to_view()` turns
them into the SVG viewBox the shapes file was built for (y grows downwards there).
"""

import math

A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def project(lon: float, lat: float) -> tuple[float, float]:
    """Longitude and latitude in degrees to Equal Earth map units (x east, y north)."""
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


def to_view(lon: float, lat: float, frame: dict) -> tuple[float, float]:
    """A point in the viewBox of a shapes file whose `frame` holds scale, left and top."""
    x, y = project(lon, lat)
    return (x - frame["left"]) * frame["scale"], (frame["top"] - y) * frame["scale"]
