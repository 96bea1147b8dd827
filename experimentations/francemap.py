"""A small map of France's regions, drawn server-side as inline SVG.

The outlines are simplified by hand from the regions' well-known shapes: a few dozen
points (longitude, latitude) per border, recognisable rather than precise. Each border
between two regions is written once and shared by both, so neighbours fit without gaps.
Metropolitan France is drawn in an equirectangular projection around 46.5° N; the five
overseas regions are insets along the bottom, each at its own scale.

Only geometry lives here (constants computed once at import); the counts come from the
views, the colours from CSS classes in static/css/app.css (no inline style: CSP).
"""

import math
from dataclasses import dataclass

from partnership.directory.regions import Region

# Projection of metropolitan France: degrees to SVG units.
SCALE = 60
LON0, LAT0 = -5.65, 51.35
COS = math.cos(math.radians(46.5))
METRO_HEIGHT = 610
INSET_TOP, INSET_WIDTH, INSET_HEIGHT, INSET_GAP = 625, 118, 96, 8
WIDTH = 5 * INSET_WIDTH + 4 * INSET_GAP + 20
HEIGHT = INSET_TOP + INSET_HEIGHT + 5

# Borders, each a polyline from one junction to another (longitude, latitude). -------------

# fmt: off
BORDERS = {
    # Coasts.
    "coast_hdf": [
        (2.55, 51.09), (2.37, 51.04), (1.85, 50.96), (1.58, 50.87), (1.60, 50.72),
        (1.56, 50.40), (1.62, 50.23), (1.38, 50.06),
    ],
    "coast_nor": [
        (-1.51, 48.63), (-1.40, 48.68), (-1.60, 48.84), (-1.60, 49.05), (-1.80, 49.37),
        (-1.88, 49.53), (-1.94, 49.72), (-1.62, 49.65), (-1.26, 49.69), (-1.25, 49.58),
        (-1.13, 49.35), (-1.04, 49.39), (-0.75, 49.35), (-0.25, 49.29), (0.08, 49.37),
        (0.23, 49.42), (0.45, 49.45), (0.10, 49.49), (0.20, 49.71), (0.37, 49.76),
        (0.71, 49.87), (1.08, 49.93), (1.38, 50.06),
    ],
    "coast_bre": [
        (-2.48, 47.50), (-2.85, 47.53), (-3.08, 47.58), (-3.12, 47.48), (-3.37, 47.72),
        (-3.92, 47.87), (-4.10, 47.87), (-4.37, 47.80), (-4.50, 48.00), (-4.73, 48.04),
        (-4.33, 48.10), (-4.60, 48.27), (-4.78, 48.36), (-4.57, 48.60),
        (-4.33, 48.67), (-3.98, 48.73), (-3.57, 48.70), (-3.45, 48.83), (-3.05, 48.80),
        (-2.73, 48.52), (-2.32, 48.68), (-2.03, 48.65), (-1.85, 48.70), (-1.51, 48.63),
    ],
    "coast_pdl": [
        (-1.15, 46.31), (-1.43, 46.34), (-1.78, 46.49), (-1.94, 46.69), (-2.06, 46.79),
        (-2.00, 47.00), (-2.10, 47.11), (-2.15, 47.20), (-2.20, 47.27), (-2.55, 47.29),
        (-2.48, 47.50),
    ],
    "coast_naq": [
        (-1.79, 43.37), (-1.56, 43.48), (-1.45, 43.64), (-1.30, 44.21), (-1.26, 44.40),
        (-1.21, 44.58), (-1.06, 44.66), (-1.25, 44.64), (-1.20, 45.00), (-1.13, 45.50),
        (-1.06, 45.57), (-0.88, 45.40), (-1.03, 45.62), (-1.23, 45.69), (-1.15, 45.82),
        (-1.08, 45.95), (-1.17, 46.15), (-1.15, 46.31),
    ],
    "coast_occ": [
        (3.17, 42.43), (3.08, 42.53), (3.04, 42.58), (3.04, 42.70), (3.05, 42.91),
        (3.12, 43.10), (3.17, 43.16), (3.47, 43.28), (3.70, 43.40), (3.93, 43.52),
        (4.13, 43.53), (4.13, 43.48), (4.35, 43.45),
    ],
    "coast_pac": [
        (4.35, 43.45), (4.43, 43.45), (4.83, 43.33), (4.93, 43.40), (5.03, 43.33),
        (5.36, 43.30), (5.54, 43.21), (5.93, 43.10), (6.13, 43.03), (6.20, 43.10),
        (6.36, 43.09), (6.68, 43.26), (6.75, 43.42), (6.94, 43.51), (7.13, 43.56),
        (7.27, 43.69), (7.53, 43.78),
    ],
    # Land borders with the neighbouring countries.
    "belgium": [
        (4.23, 49.96), (4.14, 50.15), (4.20, 50.28), (3.98, 50.34), (3.70, 50.33),
        (3.62, 50.48), (3.28, 50.53), (3.17, 50.70), (3.02, 50.77), (2.85, 50.71),
        (2.63, 50.82), (2.55, 51.09),
    ],
    "east": [
        (7.08, 47.49), (7.30, 47.44), (7.58, 47.59), (7.55, 47.90), (7.62, 48.10),
        (7.80, 48.50), (8.00, 48.75), (8.23, 48.97), (7.94, 49.05), (7.43, 49.17),
        (7.05, 49.12), (6.85, 49.20), (6.55, 49.42), (6.37, 49.47), (5.82, 49.55),
        (5.40, 49.62), (4.85, 49.80), (4.87, 50.15), (4.68, 49.99), (4.45, 49.95),
        (4.23, 49.96),
    ],
    "switzerland_bfc": [
        (6.10, 46.43), (6.43, 46.76), (6.70, 47.04), (6.95, 47.23), (7.00, 47.45),
        (7.08, 47.49),
    ],
    "alps_ara": [
        (6.56, 45.11), (6.90, 45.25), (7.15, 45.42), (6.88, 45.68), (6.84, 45.84),
        (7.04, 46.00), (6.80, 46.40), (6.50, 46.40), (6.22, 46.30), (5.97, 46.14),
        (6.12, 46.36), (6.10, 46.43),
    ],
    "alps_pac": [
        (7.53, 43.78), (7.67, 44.18), (7.00, 44.23), (6.88, 44.42), (7.05, 44.69),
        (6.72, 44.93), (6.56, 45.11),
    ],
    "pyrenees_naq": [
        (-0.29, 42.84), (-0.76, 42.92), (-1.00, 42.97), (-1.38, 43.05), (-1.45, 43.27),
        (-1.79, 43.37),
    ],
    "pyrenees_occ": [
        (-0.29, 42.84), (0.00, 42.69), (0.35, 42.70), (0.70, 42.86), (1.00, 42.78),
        (1.45, 42.60), (1.73, 42.50), (1.97, 42.45), (2.50, 42.35), (2.87, 42.46),
        (3.17, 42.43),
    ],
    # Borders between regions.
    "hdf_nor": [
        (1.38, 50.06), (1.58, 49.93), (1.77, 49.76), (1.72, 49.55), (1.80, 49.40),
        (1.71, 49.23),
    ],
    "hdf_idf": [
        (1.71, 49.23), (2.00, 49.18), (2.35, 49.15), (2.60, 49.10), (2.85, 49.07),
        (3.07, 49.12), (3.17, 49.00), (3.36, 48.90), (3.49, 48.87),
    ],
    "hdf_ges": [
        (3.49, 48.87), (3.60, 49.03), (3.75, 49.20), (3.98, 49.38), (4.05, 49.62),
        (4.20, 49.78), (4.23, 49.96),
    ],
    "nor_idf": [(1.71, 49.23), (1.62, 49.12), (1.50, 49.05), (1.45, 48.93), (1.47, 48.80)],
    "nor_cvl": [
        (1.47, 48.80), (1.30, 48.77), (1.05, 48.70), (0.85, 48.62), (0.77, 48.45),
        (0.78, 48.28),
    ],
    "nor_pdl": [
        (0.78, 48.28), (0.45, 48.38), (0.10, 48.40), (-0.20, 48.47), (-0.55, 48.48),
        (-0.85, 48.55), (-1.07, 48.52),
    ],
    "nor_bre": [(-1.07, 48.52), (-1.30, 48.55), (-1.51, 48.63)],
    "bre_pdl": [
        (-1.07, 48.52), (-1.03, 48.30), (-1.05, 48.05), (-1.25, 47.83), (-1.50, 47.75),
        (-1.80, 47.70), (-2.05, 47.60), (-2.15, 47.52), (-2.48, 47.50),
    ],
    "pdl_cvl": [
        (0.78, 48.28), (0.90, 48.10), (0.80, 47.85), (0.60, 47.70), (0.35, 47.55),
        (0.15, 47.35), (0.05, 47.12),
    ],
    "pdl_naq": [
        (0.05, 47.12), (-0.15, 47.08), (-0.45, 47.00), (-0.60, 46.90), (-0.60, 46.60),
        (-0.70, 46.40), (-0.95, 46.32), (-1.15, 46.31),
    ],
    "idf_ges": [(3.49, 48.87), (3.40, 48.75), (3.45, 48.55), (3.41, 48.37)],
    "idf_bfc": [(3.41, 48.37), (3.15, 48.32), (2.93, 48.16)],
    "idf_cvl": [
        (2.93, 48.16), (2.55, 48.12), (2.20, 48.30), (1.95, 48.30), (1.80, 48.45),
        (1.60, 48.60), (1.47, 48.80),
    ],
    "cvl_bfc": [
        (2.93, 48.16), (3.05, 48.00), (2.93, 47.75), (2.87, 47.55), (2.98, 47.30),
        (3.05, 47.05), (3.03, 46.80),
    ],
    "cvl_ara": [(3.03, 46.80), (2.75, 46.70), (2.55, 46.55), (2.28, 46.42)],
    "cvl_naq": [
        (2.28, 46.42), (1.85, 46.43), (1.40, 46.37), (1.18, 46.40), (1.00, 46.55),
        (0.90, 46.75), (0.65, 46.95), (0.30, 47.08), (0.05, 47.12),
    ],
    "ges_bfc": [
        (3.41, 48.37), (3.62, 48.18), (3.95, 48.00), (4.30, 47.93), (4.68, 47.96),
        (5.10, 47.70), (5.40, 47.62), (5.70, 47.82), (6.10, 47.95), (6.50, 47.95),
        (6.84, 47.82), (6.95, 47.62), (7.08, 47.49),
    ],
    "bfc_ara": [
        (3.03, 46.80), (3.40, 46.78), (3.65, 46.70), (3.95, 46.48), (4.15, 46.28),
        (4.45, 46.27), (4.78, 46.18), (5.00, 46.40), (5.30, 46.42), (5.55, 46.28),
        (5.85, 46.25), (6.10, 46.43),
    ],
    "ara_naq": [
        (2.28, 46.42), (2.45, 46.15), (2.52, 45.88), (2.40, 45.65), (2.35, 45.40),
        (2.20, 45.20), (2.06, 44.97),
    ],
    "ara_occ": [
        (2.06, 44.97), (2.20, 44.70), (2.60, 44.75), (3.10, 44.87), (3.40, 44.95),
        (3.85, 44.75), (4.05, 44.40), (4.40, 44.30), (4.65, 44.27),
    ],
    "ara_pac": [
        (4.65, 44.27), (4.90, 44.35), (5.25, 44.25), (5.50, 44.15), (5.68, 44.40),
        (5.80, 44.70), (6.00, 44.85), (6.35, 45.05), (6.56, 45.11),
    ],
    "naq_occ": [
        (2.06, 44.97), (1.70, 45.00), (1.42, 44.92), (1.07, 44.57), (0.88, 44.38),
        (0.65, 44.05), (0.10, 43.92), (-0.05, 43.72), (-0.10, 43.55), (-0.05, 43.33),
        (-0.15, 43.10), (-0.29, 42.84),
    ],
    "occ_pac": [
        (4.35, 43.45), (4.45, 43.60), (4.62, 43.70), (4.66, 43.85), (4.80, 43.98),
        (4.72, 44.10), (4.65, 44.27),
    ],
}

# Each region: its borders in order around it; "-" walks a border backwards.
METROPOLITAN = {
    Region.HDF: ["coast_hdf", "hdf_nor", "hdf_idf", "hdf_ges", "belgium"],
    Region.NOR: ["hdf_nor", "nor_idf", "nor_cvl", "nor_pdl", "nor_bre", "coast_nor"],
    Region.BRE: ["-nor_bre", "bre_pdl", "coast_bre"],
    Region.PDL: ["pdl_cvl", "pdl_naq", "coast_pdl", "-bre_pdl", "-nor_pdl"],
    Region.IDF: ["hdf_idf", "idf_ges", "idf_bfc", "idf_cvl", "-nor_idf"],
    Region.CVL: ["-nor_cvl", "-idf_cvl", "cvl_bfc", "cvl_ara", "cvl_naq", "-pdl_cvl"],
    Region.GES: ["idf_ges", "ges_bfc", "east", "-hdf_ges"],
    Region.BFC: ["-idf_bfc", "ges_bfc", "-switzerland_bfc", "-bfc_ara", "-cvl_bfc"],
    Region.NAQ: ["-pdl_naq", "-cvl_naq", "ara_naq", "naq_occ", "pyrenees_naq", "coast_naq"],
    Region.ARA: ["ara_naq", "ara_occ", "ara_pac", "alps_ara", "-bfc_ara", "cvl_ara"],
    Region.OCC: ["naq_occ", "pyrenees_occ", "coast_occ", "occ_pac", "-ara_occ"],
    Region.PAC: ["-occ_pac", "coast_pac", "alps_pac", "-ara_pac"],
}
CORSICA = [
    (9.41, 43.01), (9.45, 42.70), (9.54, 42.10), (9.40, 41.85), (9.28, 41.59),
    (9.16, 41.39), (8.90, 41.67), (8.74, 41.92), (8.60, 42.13), (8.69, 42.27),
    (8.76, 42.57), (8.94, 42.64), (9.30, 42.68), (9.34, 42.95),
]

# The overseas regions: one or more islands each, drawn in their own inset.
OVERSEAS = {
    Region.GUA: [
        # Basse-Terre, Grande-Terre (the butterfly's two wings), Marie-Galante.
        [
            (-61.76, 16.36), (-61.79, 16.30), (-61.78, 16.15), (-61.73, 16.00),
            (-61.70, 15.95), (-61.60, 16.00), (-61.56, 16.05), (-61.59, 16.19),
            (-61.55, 16.25), (-61.70, 16.33),
        ],
        [
            (-61.53, 16.24), (-61.48, 16.20), (-61.38, 16.22), (-61.27, 16.25),
            (-61.18, 16.25), (-61.35, 16.33), (-61.46, 16.52), (-61.53, 16.42),
            (-61.52, 16.33),
        ],
        [(-61.33, 15.98), (-61.23, 16.05), (-61.18, 15.95), (-61.27, 15.87)],
    ],
    Region.MTQ: [
        [
            (-61.18, 14.87), (-61.11, 14.87), (-61.06, 14.83), (-60.97, 14.77),
            (-60.82, 14.81), (-60.97, 14.73), (-60.90, 14.62), (-60.83, 14.55),
            (-60.87, 14.40), (-60.88, 14.43), (-60.87, 14.47), (-60.92, 14.47),
            (-61.03, 14.47), (-61.09, 14.50), (-61.04, 14.54), (-61.07, 14.60),
            (-61.14, 14.64), (-61.18, 14.74), (-61.23, 14.80),
        ],
    ],
    Region.GUF: [
        [
            (-54.00, 5.75), (-53.30, 5.55), (-52.65, 5.16), (-52.33, 4.94), (-51.90, 4.60),
            (-51.60, 4.20), (-52.00, 3.50), (-52.60, 2.60), (-53.00, 2.20), (-54.00, 2.20),
            (-54.40, 2.40), (-54.20, 3.20), (-54.50, 4.00), (-54.20, 5.20),
        ],
    ],
    Region.LRE: [
        [
            (55.45, -20.88), (55.55, -20.90), (55.66, -20.96), (55.72, -21.03),
            (55.80, -21.13), (55.83, -21.25), (55.77, -21.36), (55.62, -21.38),
            (55.48, -21.34), (55.36, -21.27), (55.28, -21.17), (55.22, -21.05),
            (55.29, -20.93), (55.34, -20.92),
        ],
    ],
    Region.MAY: [
        [
            (45.07, -12.66), (45.13, -12.70), (45.20, -12.73), (45.23, -12.78),
            (45.23, -12.85), (45.20, -12.91), (45.18, -12.99), (45.10, -12.96),
            (45.13, -12.93), (45.10, -12.85), (45.04, -12.80), (45.08, -12.75),
            (45.06, -12.72),
        ],
        [(45.27, -12.76), (45.30, -12.78), (45.28, -12.81), (45.26, -12.79)],
    ],
}
# fmt: on


@dataclass(frozen=True)
class RegionShape:
    code: str
    name: str
    path: str  # the SVG path data
    label_x: float
    label_y: float
    inset: tuple | None = None  # (x, y, width, height) of the inset frame, overseas only


def _project(lon, lat):
    return ((lon - LON0) * COS * SCALE, (LAT0 - lat) * SCALE)


def _ring(names):
    points = []
    for name in names:
        line = BORDERS[name.lstrip("-")]
        if name.startswith("-"):
            line = line[::-1]
        if points and points[-1] == line[0]:
            line = line[1:]
        points.extend(line)
    if points[0] == points[-1]:
        points = points[:-1]
    return points


def _path(rings):
    parts = []
    for ring in rings:
        coordinates = " L".join(f"{x:.1f},{y:.1f}" for x, y in ring)
        parts.append(f"M{coordinates} Z")
    return " ".join(parts)


def _centroid(ring):
    """The area centroid of a polygon: where the region's count is written."""
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    area /= 2
    return cx / (6 * area), cy / (6 * area)


# Where the count sits when the centroid would be awkward (a thin or hollow shape).
LABEL_NUDGE = {Region.IDF: (0, 2), Region.ARA: (-8, 4), Region.NAQ: (6, 0)}


def _area(ring):
    return abs(
        sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True))
    )


def _metropolitan():
    shapes = {}
    for region, names in METROPOLITAN.items():
        ring = [_project(lon, lat) for lon, lat in _ring(names)]
        x, y = _centroid(ring)
        dx, dy = LABEL_NUDGE.get(region, (0, 0))
        shapes[region] = RegionShape(region.value, region.label, _path([ring]), x + dx, y + dy)
    ring = [_project(lon, lat) for lon, lat in CORSICA]
    x, y = _centroid(ring)
    shapes[Region.COR] = RegionShape(Region.COR.value, Region.COR.label, _path([ring]), x, y)
    return shapes


def _overseas():
    shapes = {}
    for index, (region, islands) in enumerate(OVERSEAS.items()):
        frame_x = 10 + index * (INSET_WIDTH + INSET_GAP)
        frame = (frame_x, INSET_TOP, INSET_WIDTH, INSET_HEIGHT)
        # Each inset at its own scale: the islands fill the frame below its caption.
        cos = math.cos(math.radians(abs(sum(lat for _, lat in islands[0]) / len(islands[0]))))
        lons = [lon for island in islands for lon, _ in island]
        lats = [lat for island in islands for _, lat in island]
        width = (max(lons) - min(lons)) * cos
        height = max(lats) - min(lats)
        box_x, box_y = frame_x + 8, INSET_TOP + 20
        box_w, box_h = INSET_WIDTH - 16, INSET_HEIGHT - 28
        scale = min(box_w / width, box_h / height)
        offset_x = box_x + (box_w - width * scale) / 2
        offset_y = box_y + (box_h - height * scale) / 2
        rings = [
            [
                (offset_x + (lon - min(lons)) * cos * scale, offset_y + (max(lats) - lat) * scale)
                for lon, lat in island
            ]
            for island in islands
        ]
        largest = max(rings, key=_area)
        x, y = _centroid(largest)
        shapes[region] = RegionShape(region.value, region.label, _path(rings), x, y, frame)
    return shapes


SHAPES = {**_metropolitan(), **_overseas()}

# Buckets of the number of companies, each a CSS class (map-fill-0 ... map-fill-5).
BUCKETS = [(0, 0), (1, 1), (2, 4), (5, 9), (10, 19), (20, None)]


def bucket(count: int) -> int:
    for index, (low, high) in enumerate(BUCKETS):
        if count >= low and (high is None or count <= high):
            return index
    return 0


def regions_for(counts: dict, *, selected: str = "") -> list[dict]:
    """What the map template draws: every region with its shape, count and bucket."""
    return [
        {
            "code": code,
            "name": shape.name,
            "path": shape.path,
            "label_x": f"{shape.label_x:.1f}",
            "label_y": f"{shape.label_y:.1f}",
            "inset": _inset(shape),
            "count": counts.get(code, 0),
            "bucket": bucket(counts.get(code, 0)),
            "selected": code == selected,
        }
        for code, shape in ((region.value, SHAPES[region]) for region in Region)
    ]


def _inset(shape):
    if shape.inset is None:
        return None
    x, y, width, height = shape.inset
    # Strings: numbers in SVG attributes must not be localised (no French decimal comma).
    return {
        "x": str(x),
        "y": str(y),
        "width": str(width),
        "height": str(height),
        "name_x": f"{x + width / 2:.1f}",
        "name_y": str(y + 14),
    }


def legend() -> list[dict]:
    return [
        {"bucket": index, "low": low, "high": high} for index, (low, high) in enumerate(BUCKETS)
    ]
