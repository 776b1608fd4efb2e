"""A keypoint schema as a labelled figure: its points on a template pose, its edges, one label per name.

The template is a person standing and facing the viewer, so the person's left side is on the
figure's right. Positions are normalised (x right, y down, 0..1) and known for the zoo's
schemas; any other schema's points go round a circle, in output order, so that a new card
still gets a readable figure. Labels sit in two columns beside the figure, each joined to its
point by a thin leader line: face points are too close together to be labelled in place.
Every text comes from a card and is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

Point = tuple[float, float]

_COCO_17: dict[str, Point] = {
    "nose": (0.50, 0.12),
    "left_eye": (0.53, 0.10),
    "right_eye": (0.47, 0.10),
    "left_ear": (0.57, 0.12),
    "right_ear": (0.43, 0.12),
    "left_shoulder": (0.62, 0.26),
    "right_shoulder": (0.38, 0.26),
    "left_elbow": (0.70, 0.40),
    "right_elbow": (0.30, 0.40),
    "left_wrist": (0.75, 0.53),
    "right_wrist": (0.25, 0.53),
    "left_hip": (0.58, 0.55),
    "right_hip": (0.42, 0.55),
    "left_knee": (0.59, 0.73),
    "right_knee": (0.41, 0.73),
    "left_ankle": (0.60, 0.92),
    "right_ankle": (0.40, 0.92),
}

_MPII_16: dict[str, Point] = {
    "head_top": (0.50, 0.04),
    "upper_neck": (0.50, 0.19),
    "thorax": (0.50, 0.27),
    "right_shoulder": (0.38, 0.26),
    "right_elbow": (0.30, 0.40),
    "right_wrist": (0.25, 0.53),
    "left_shoulder": (0.62, 0.26),
    "left_elbow": (0.70, 0.40),
    "left_wrist": (0.75, 0.53),
    "pelvis": (0.50, 0.55),
    "right_hip": (0.42, 0.55),
    "right_knee": (0.41, 0.73),
    "right_ankle": (0.40, 0.92),
    "left_hip": (0.58, 0.55),
    "left_knee": (0.59, 0.73),
    "left_ankle": (0.60, 0.92),
}

_BLAZEPOSE_33: dict[str, Point] = {
    "nose": (0.50, 0.12),
    "left_eye_inner": (0.515, 0.10),
    "left_eye": (0.53, 0.10),
    "left_eye_outer": (0.545, 0.10),
    "right_eye_inner": (0.485, 0.10),
    "right_eye": (0.47, 0.10),
    "right_eye_outer": (0.455, 0.10),
    "left_ear": (0.57, 0.115),
    "right_ear": (0.43, 0.115),
    "mouth_left": (0.52, 0.15),
    "mouth_right": (0.48, 0.15),
    "left_shoulder": (0.62, 0.26),
    "right_shoulder": (0.38, 0.26),
    "left_elbow": (0.70, 0.40),
    "right_elbow": (0.30, 0.40),
    "left_wrist": (0.75, 0.53),
    "right_wrist": (0.25, 0.53),
    "left_pinky": (0.79, 0.575),
    "right_pinky": (0.21, 0.575),
    "left_index": (0.77, 0.60),
    "right_index": (0.23, 0.60),
    "left_thumb": (0.73, 0.58),
    "right_thumb": (0.27, 0.58),
    "left_hip": (0.58, 0.55),
    "right_hip": (0.42, 0.55),
    "left_knee": (0.59, 0.73),
    "right_knee": (0.41, 0.73),
    "left_ankle": (0.60, 0.90),
    "right_ankle": (0.40, 0.90),
    "left_heel": (0.595, 0.935),
    "right_heel": (0.405, 0.935),
    "left_foot_index": (0.64, 0.95),
    "right_foot_index": (0.36, 0.95),
}

# MediaPipe's detector gives two circles, each as a centre and a point on it: the whole body's
# around the hips and the upper body's around the shoulders, both scale points above the head
_BLAZEPOSE_DETECTOR_4: dict[str, Point] = {
    "hip_centre": (0.50, 0.55),
    "body_scale_point": (0.50, 0.02),
    "shoulder_centre": (0.50, 0.26),
    "upper_body_scale_point": (0.50, 0.08),
}

LAYOUTS: dict[str, dict[str, Point]] = {
    "coco-17": _COCO_17,
    "mpii-16": _MPII_16,
    "blazepose-33": _BLAZEPOSE_33,
    "blazepose-detector-4": _BLAZEPOSE_DETECTOR_4,
}

# a schema whose points are not a body is drawn over a faint body, for scale
_BACKDROPS: dict[str, str] = {"blazepose-detector-4": "coco-17"}
_COCO_17_EDGES = ((0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10))
_COCO_17_EDGES += ((5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16))

WIDTH, HEIGHT = 640, 480
FIGURE_LEFT, FIGURE_WIDTH = 160, 320  # the template's 0..1 box, in SVG units
FIGURE_TOP, FIGURE_HEIGHT = 50, 400
LABEL_GAP = 13  # least vertical distance between two labels of a column
LABEL_MARGIN = 24  # from the outermost point to its column of labels
FONT_SIZE = 11


def layout(schema: str, names: Sequence[str]) -> list[Point]:
    """Normalised positions of `names` on the schema's template pose; a circle for a schema
    (or a list of names) without one."""
    template = LAYOUTS.get(schema, {})
    if names and all(name in template for name in names):
        return [template[name] for name in names]
    return _circle(len(names))


def _circle(count: int) -> list[Point]:
    # starts at the top, clockwise, as a clock reads; round on the figure, whose box is not square
    angles = (2 * math.pi * i / max(count, 1) - math.pi / 2 for i in range(count))
    rx, ry = 0.4, 0.4 * FIGURE_WIDTH / FIGURE_HEIGHT
    return [(0.5 + rx * math.cos(a), 0.5 + ry * math.sin(a)) for a in angles]


@dataclass(frozen=True)
class Label:
    name: str
    point: tuple[float, float]  # the keypoint, in SVG units
    x: float  # where the label's text ends (left column) or starts (right column), in SVG units
    y: float  # the label's baseline, in SVG units
    on_left: bool


def _to_svg(point: Point) -> tuple[float, float]:
    x, y = point
    return FIGURE_LEFT + x * FIGURE_WIDTH, FIGURE_TOP + y * FIGURE_HEIGHT


def _spread(wanted: list[float], top: float, bottom: float) -> list[float]:
    """Label heights as close as can be to `wanted` (sorted), at least LABEL_GAP apart, within top..bottom."""
    placed: list[float] = []
    for y in wanted:
        placed.append(max(y, top, placed[-1] + LABEL_GAP) if placed else max(y, top))
    overflow = placed[-1] - bottom if placed else 0.0
    if overflow > 0:  # push the column back up from the bottom
        placed[-1] -= overflow
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - LABEL_GAP)
    return placed


def _labels(names: Sequence[str], points: list[tuple[float, float]]) -> list[Label]:
    middle = FIGURE_LEFT + FIGURE_WIDTH / 2
    left: list[int] = []
    right: list[int] = []
    for i, (x, _) in enumerate(points):
        if abs(x - middle) < 1e-6:  # on the body's axis: to the shorter column
            (left if len(left) <= len(right) else right).append(i)
        else:
            (left if x < middle else right).append(i)
    xs = [x for x, _ in points] or [middle]
    labels: list[Label] = []
    for column, on_left in ((left, True), (right, False)):
        column_x = min(xs) - LABEL_MARGIN if on_left else max(xs) + LABEL_MARGIN
        column.sort(key=lambda i: points[i][1])
        heights = _spread([points[i][1] + FONT_SIZE / 3 for i in column], 40, HEIGHT - 6)
        labels += [Label(names[i], points[i], column_x, y, on_left) for i, y in zip(column, heights, strict=True)]
    return labels


def _line(a: tuple[float, float], b: tuple[float, float], css: str) -> str:
    return f'<line class="{css}" x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}"/>'


def _label_svg(label: Label) -> str:
    anchor = "end" if label.on_left else "start"
    leader_end = (label.x + (3 if label.on_left else -3), label.y - FONT_SIZE / 3)
    return (
        _line(label.point, leader_end, "leader")
        + f'<text class="label" x="{label.x:.1f}" y="{label.y:.1f}" text-anchor="{anchor}">'
        + f"{escape(label.name)}</text>"
    )


def _backdrop(schema: str) -> list[str]:
    body = _BACKDROPS.get(schema)
    if body is None:
        return []
    points = [_to_svg(p) for p in LAYOUTS[body].values()]
    return [_line(points[a], points[b], "backdrop") for a, b in _COCO_17_EDGES]


STYLE = (
    ".edge{stroke:#1f77b4;stroke-width:3;stroke-linecap:round}"
    ".backdrop{stroke:#ddd;stroke-width:6;stroke-linecap:round}"
    ".leader{stroke:#bbb;stroke-width:0.6}"
    ".point{fill:#d62728;stroke:#fff;stroke-width:1}"
    f".label{{font:{FONT_SIZE}px sans-serif;fill:#222}}"
    ".title{font:bold 13px sans-serif;fill:#222}"
)


def skeleton_svg(schema: str, names: Sequence[str], edges: Sequence[Sequence[int]]) -> str:
    """The schema's figure as an SVG document: edges, points and one label per keypoint name."""
    points = [_to_svg(p) for p in layout(schema, names)]
    title = f"{schema}: {len(names)} keypoints, {len(edges)} edges"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<text class="title" x="{WIDTH / 2:.1f}" y="20" text-anchor="middle">{escape(title)}</text>',
        *_backdrop(schema),
        *(_line(points[a], points[b], "edge") for a, b in edges if a < len(points) and b < len(points)),
        *(_label_svg(label) for label in _labels(names, points)),
        *(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4"/>' for x, y in points),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
