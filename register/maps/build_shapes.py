"""Build `register/maps/shapes.json`, the country shapes the site draws its maps from.

Run by hand, only when updating the shapes (the site never runs it)::

    mkdir /tmp/atlas && cd /tmp/atlas && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python -m register.maps.build_shapes /tmp/atlas/package

Source: the npm package `world-atlas` 2.0.2 (integrity
sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ==),
Mike Bostock's TopoJSON of Natural Earth's admin-0 countries. Natural Earth's data is in
the public domain; world-atlas is under the ISC licence (its LICENSE file). The package is
fetched into a temporary folder, not added to the project's package.json: nothing of it
is served, only this file's output is committed.

What it does, once:

- decodes `countries-110m.json` (TopoJSON, features keyed by ISO 3166-1 numeric code) and
  keys each country by its alpha-2 code (django-countries' own table); Antarctica is
  dropped, and the few features without an ISO code (Kosovo, Northern Cyprus, Somaliland
  at this scale) stay as unlabelled land so the map has no holes;
- projects every point with Equal Earth (`register/maps/projection.py`) onto a viewBox
  1000 units wide, rounds to whole units and writes each country as one compact SVG path
  (relative moves; outlines simplified by Douglas-Peucker to within 0.6 units; rings
  that shrink to nothing at this size are left out);
- computes a label point for each country: the point of its largest polygon farthest from
  the polygon's edge (a coarse "pole of inaccessibility"), where the maps put markers;
- gives countries too small for the 110m shapes (Luxembourg, Monaco, Singapore, …) a
  marker point from `countries-50m.json`, and the few not even there from `EXTRA_POINTS`.

The output holds `width`, `height`, `frame` (how to project further points onto the same
viewBox), `land` (the unlabelled land), `shapes` (alpha-2 → path) and `points` (alpha-2 →
[x, y], for every country with a shape or a marker).
"""

import itertools
import json
import math
import sys
from pathlib import Path

from django_countries.data import ALT_CODES

from register.maps.projection import project

WIDTH = 1000
PADDING = 4  # viewBox units around the drawn world
TOLERANCE = 0.6  # viewBox units a simplified outline may stray from the original
DROPPED = {"AQ"}  # Antarctica: a quarter of the map's height with no cars in it
OUTPUT = Path(__file__).with_name("shapes.json")

# Longitude and latitude of the places neither the 110m nor the 50m shapes have.
EXTRA_POINTS = {
    "BQ": (-68.27, 12.18),  # Bonaire
    "BV": (3.4, -54.42),  # Bouvet Island
    "CC": (96.87, -12.16),  # Cocos (Keeling) Islands
    "CX": (105.69, -10.49),  # Christmas Island
    "GF": (-53.13, 3.93),  # French Guiana
    "GI": (-5.35, 36.14),  # Gibraltar
    "GP": (-61.55, 16.25),  # Guadeloupe
    "MQ": (-61.02, 14.64),  # Martinique
    "RE": (55.54, -21.12),  # Réunion
    "SJ": (15.65, 78.22),  # Svalbard and Jan Mayen
    "TK": (-171.85, -9.2),  # Tokelau
    "TV": (179.19, -8.52),  # Tuvalu
    "UM": (-160.03, -0.38),  # United States Minor Outlying Islands
    "YT": (45.17, -12.83),  # Mayotte
}


def numeric_to_alpha2() -> dict[int, str]:
    return {numeric: alpha2 for alpha2, (_alpha3, numeric) in ALT_CODES.items() if numeric}


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Quantized, delta-encoded arcs to longitude/latitude pairs."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(ring: list[int], arcs) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def polygons_of(geometry: dict, arcs) -> list[list[list[tuple[float, float]]]]:
    if geometry["type"] == "Polygon":
        polygons = [geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["arcs"]
    else:
        return []
    out = []
    for polygon in polygons:
        pieces = [split_at_antimeridian(ring_points(ring, arcs)) for ring in polygon]
        # A polygon cut in two by the antimeridian becomes one polygon per side.
        for side in range(max(len(p) for p in pieces)):
            rings = [p[side] for p in pieces if side < len(p)]
            if rings and len(rings[0]) > 2:
                out.append(rings)
    return out


def clip(ring, edge: float, sign: int) -> list[tuple[float, float]]:
    """Sutherland-Hodgman against the meridian `edge`: keeps sign * (lon - edge) <= 0."""

    def keep(lon: float) -> bool:
        return sign * (lon - edge) <= 0

    def crossing(a, b) -> tuple[float, float]:
        t = (edge - a[0]) / (b[0] - a[0])
        return edge, a[1] + t * (b[1] - a[1])

    out = []
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        if keep(b[0]):
            if not keep(a[0]):
                out.append(crossing(a, b))
            out.append(b)
        elif keep(a[0]):
            out.append(crossing(a, b))
    return out


def split_at_antimeridian(ring) -> list[list[tuple[float, float]]]:
    """A ring that crosses longitude 180 (Russia, Fiji) as one ring per side of it.

    Unwrapped, such a ring runs past 180 (or -180); cut there, the far part moves back by
    360 degrees. Without this the ring's edge would be drawn across the whole map.
    """
    unwrapped = [ring[0]]
    for lon, lat in ring[1:]:
        previous = unwrapped[-1][0]
        while lon - previous > 180:
            lon -= 360
        while lon - previous < -180:
            lon += 360
        unwrapped.append((lon, lat))
    lons = [lon for lon, _ in unwrapped]
    if max(lons) > 180:
        near = clip(unwrapped, 180, 1)
        far = [(lon - 360, lat) for lon, lat in clip(unwrapped, 180, -1)]
        return [near, far]
    if min(lons) < -180:
        near = clip(unwrapped, -180, -1)
        far = [(lon + 360, lat) for lon, lat in clip(unwrapped, -180, 1)]
        return [near, far]
    return [ring]


def area(ring) -> float:
    return abs(
        sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))
    )


def inside(point, ring) -> bool:
    x, y = point
    result = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < (x1 - x0) * (y - y0) / (y1 - y0) + x0:
            result = not result
    return result


def edge_distance(point, rings) -> float:
    px, py = point
    best = math.inf
    for ring in rings:
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            dx, dy = x1 - x0, y1 - y0
            length = dx * dx + dy * dy
            t = (
                0.0
                if not length
                else max(0.0, min(1.0, ((px - x0) * dx + (py - y0) * dy) / length))
            )
            best = min(best, math.hypot(px - x0 - t * dx, py - y0 - t * dy))
    return best


def label_point(polygons) -> tuple[float, float]:
    """The point of the largest polygon farthest from its edges, on a 24×24 grid."""
    outer, *holes = max(polygons, key=lambda poly: area(poly[0]))
    xs, ys = [p[0] for p in outer], [p[1] for p in outer]
    best, best_distance = (sum(xs) / len(xs), sum(ys) / len(ys)), -1.0
    steps = 24
    for i in range(steps + 1):
        for j in range(steps + 1):
            point = (
                min(xs) + (max(xs) - min(xs)) * i / steps,
                min(ys) + (max(ys) - min(ys)) * j / steps,
            )
            if not inside(point, outer) or any(inside(point, hole) for hole in holes):
                continue
            distance = edge_distance(point, [outer, *holes])
            if distance > best_distance:
                best, best_distance = point, distance
    return best


class Frame:
    """Projected map units to the viewBox: x from the left, y down from the top."""

    def __init__(self, projected_points):
        xs = [x for x, _ in projected_points]
        ys = [y for _, y in projected_points]
        self.scale = (WIDTH - 2 * PADDING) / (max(xs) - min(xs))
        self.left = min(xs) - PADDING / self.scale
        self.top = max(ys) + PADDING / self.scale
        self.height = math.ceil((max(ys) - min(ys)) * self.scale + 2 * PADDING)

    def view(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.left) * self.scale, (self.top - y) * self.scale

    def as_dict(self) -> dict:
        return {"scale": self.scale, "left": self.left, "top": self.top}


def number_list(values: list[int]) -> str:
    """ "3 -2 1 0" as "3-2 1 0": a minus sign separates numbers by itself."""
    out = []
    for value in values:
        if out and value >= 0:
            out.append(" ")
        out.append(str(value))
    return "".join(out)


def simplify(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Douglas-Peucker: drop the points within TOLERANCE of the line their neighbours
    keep. A path that bends less than a unit on the map loses nothing one can see."""
    if len(points) < 3:
        return points
    (x0, y0), (x1, y1) = points[0], points[-1]
    length = math.hypot(x1 - x0, y1 - y0)
    farthest, distance = 0, -1.0
    for index, (x, y) in enumerate(points[1:-1], start=1):
        if length:
            d = abs((x1 - x0) * (y0 - y) - (x0 - x) * (y1 - y0)) / length
        else:
            d = math.hypot(x - x0, y - y0)
        if d > distance:
            farthest, distance = index, d
    if distance <= TOLERANCE:
        return [points[0], points[-1]]
    return simplify(points[: farthest + 1])[:-1] + simplify(points[farthest:])


def path_of(projected_polygons, frame: Frame) -> str:
    parts = []
    for polygon in projected_polygons:
        for ring in polygon:
            points = []
            for x, y in ring:
                vx, vy = frame.view(x, y)
                point = (round(vx), round(vy))
                if not points or point != points[-1]:
                    points.append(point)
            if len(points) > 1 and points[0] == points[-1]:
                points.pop()
            points = simplify([*points, points[0]])[:-1] if len(points) > 3 else points
            if len(set(points)) < 3:
                continue
            (x0, y0), steps = points[0], []
            for (ax, ay), (bx, by) in itertools.pairwise(points):
                steps.extend((bx - ax, by - ay))
            parts.append(f"M{x0} {y0}l{number_list(steps)}z")
    return "".join(parts)


def countries_of(path: Path) -> dict:
    topology = json.loads(path.read_text())
    arcs = decode_arcs(topology)
    codes = numeric_to_alpha2()
    found: dict[str, list] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = codes.get(int(geometry["id"])) if str(geometry.get("id", "")).isdigit() else None
        polygons = [
            [[project(lon, lat) for lon, lat in ring] for ring in poly]
            for poly in polygons_of(geometry, arcs)
        ]
        found.setdefault(code or "", []).extend(polygons)
    return found


def build(atlas: Path) -> dict:
    countries = countries_of(atlas / "countries-110m.json")
    for code in DROPPED:
        countries.pop(code, None)
    frame = Frame([p for polys in countries.values() for poly in polys for p in poly[0]])
    shapes, points = {}, {}
    for code, polygons in sorted(countries.items()):
        if not code:
            continue
        path = path_of(polygons, frame)
        if path:
            shapes[code] = path
        x, y = frame.view(*label_point(polygons))
        points[code] = [round(x), round(y)]
    finer = countries_of(atlas / "countries-50m.json")
    for code, polygons in sorted(finer.items()):
        if code and code not in points and code not in DROPPED:
            x, y = frame.view(*label_point(polygons))
            points[code] = [round(x), round(y)]
    for code, (lon, lat) in EXTRA_POINTS.items():
        if code not in points:
            x, y = frame.view(*project(lon, lat))
            points[code] = [round(x), round(y)]
    return {
        "source": "world-atlas 2.0.2 (Natural Earth 1:110m admin-0 countries, public domain)",
        "projection": "Equal Earth",
        "width": WIDTH,
        "height": frame.height,
        "frame": frame.as_dict(),
        "land": path_of(countries.get("", []), frame),
        "shapes": shapes,
        "points": dict(sorted(points.items())),
    }


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        sys.exit(__doc__)
    data = build(Path(argv[1]))
    OUTPUT.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n")
    missing = sorted(set(ALT_CODES) - set(data["points"]) - DROPPED)
    print(
        f"{OUTPUT}: {OUTPUT.stat().st_size} bytes, {len(data['shapes'])} shapes, "
        f"{len(data['points'])} points; no point for: {' '.join(missing) or 'none'}"
    )


if __name__ == "__main__":
    main(sys.argv)
