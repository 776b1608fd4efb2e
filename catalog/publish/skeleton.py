"""A keypoint schema as a labelled figure: its points on a template pose, its edges, one label per name.

The template is a person standing and facing the viewer, so the person's left side is on the
figure's right. Positions are normalised (x right, y down, 0..1) and known for the zoo's
schemas; any other schema's points go round a circle, in output order, so that a new card
still gets a readable figure. Labels sit in two columns beside the figure, a line apart, each
joined to its point by a thin leader line, no two of which cross: face points are too close
together to be labelled in place. The figure is as wide as its labels need, so that it shrinks
as little as it can on a narrow page.
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

# OpenPose's 18: COCO's 17 and a neck between the shoulders
_OPENPOSE_18: dict[str, Point] = {**_COCO_17, "neck": (0.50, 0.24)}

LAYOUTS: dict[str, dict[str, Point]] = {
    "coco-17": _COCO_17,
    "openpose-18": _OPENPOSE_18,
    "mpii-16": _MPII_16,
    "blazepose-33": _BLAZEPOSE_33,
    "blazepose-detector-4": _BLAZEPOSE_DETECTOR_4,
}

# a schema whose points are not a body is drawn over a faint body, for scale
_BACKDROPS: dict[str, str] = {"blazepose-detector-4": "coco-17"}
_COCO_17_EDGES = ((0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10))
_COCO_17_EDGES += ((5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16))

HEIGHT = 480
FIGURE_LEFT, FIGURE_WIDTH = 160, 320  # the template's 0..1 box, in SVG units
FIGURE_TOP, FIGURE_HEIGHT = 50, 400
FONT_SIZE = 12
TITLE_SIZE = 13
TITLE_Y = 20
LABEL_PITCH = 16  # baseline to baseline in a column: a clear third of the font's size between two labels
LABEL_TOP = 44  # the first baseline of a column, under the title
LABEL_MARGIN = 24  # from the outermost point to its column of labels
EM_WIDTH = 0.6  # a sans-serif character's advance, in ems, counted generously: labels are spaced for it
ASCENT, DESCENT = 0.9, 0.25  # of a text's box, in ems, above and below its baseline
PAD = 8  # around everything drawn: the figure's width is what it holds
POINT_RADIUS = 4  # smaller where points crowd, so that each stays a dot of its own

Box = tuple[float, float, float, float]  # left, top, right, bottom, in SVG units


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


def text_box(text: str, x: float, y: float, anchor: str, size: float) -> Box:
    """Where a text drawn at (x, y) with this anchor and font size lies, its width estimated."""
    width = len(text) * EM_WIDTH * size
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return left, y - ASCENT * size, left + width, y + DESCENT * size


@dataclass(frozen=True)
class Label:
    name: str
    point: tuple[float, float]  # the keypoint, in SVG units
    x: float  # where the label's text ends (left column) or starts (right column), in SVG units
    y: float  # the label's baseline, in SVG units
    on_left: bool

    @property
    def anchor(self) -> str:
        return "end" if self.on_left else "start"

    @property
    def leader_end(self) -> tuple[float, float]:
        return self.x + (3 if self.on_left else -3), self.y - FONT_SIZE / 3

    @property
    def box(self) -> Box:
        return text_box(self.name, self.x, self.y, self.anchor, FONT_SIZE)


def _to_svg(point: Point) -> tuple[float, float]:
    x, y = point
    return FIGURE_LEFT + x * FIGURE_WIDTH, FIGURE_TOP + y * FIGURE_HEIGHT


def _spread(wanted: list[float], top: float, bottom: float) -> list[float]:
    """Label heights as close as can be to `wanted` (sorted), at least LABEL_PITCH apart, within top..bottom."""
    placed: list[float] = []
    for y in wanted:
        placed.append(max(y, top, placed[-1] + LABEL_PITCH) if placed else max(y, top))
    overflow = placed[-1] - bottom if placed else 0.0
    if overflow > 0:  # push the column back up from the bottom
        placed[-1] -= overflow
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - LABEL_PITCH)
    return placed


def _side(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def crosses(
    one: tuple[tuple[float, float], tuple[float, float]], other: tuple[tuple[float, float], tuple[float, float]]
) -> bool:
    """Whether two segments cross (touching at an end does not count)."""
    (a, b), (c, d) = one, other
    return _side(a, b, c) * _side(a, b, d) < 0 and _side(c, d, a) * _side(c, d, b) < 0


def _uncrossed(points: list[tuple[float, float]], slots: list[tuple[float, float]]) -> list[int]:
    """Which point each slot labels (slot i labels points[order[i]]), with no two leaders crossing.
    Swapping the ends of two crossing leaders shortens their total length, so this ends."""
    order = list(range(len(points)))
    changed = True
    while changed:
        changed = False
        for i in range(len(order)):
            for j in range(i + 1, len(order)):
                if crosses((points[order[i]], slots[i]), (points[order[j]], slots[j])):
                    order[i], order[j] = order[j], order[i]
                    changed = True
    return order


def _labels(names: Sequence[str], points: list[tuple[float, float]]) -> list[Label]:
    """Two columns of labels, beside the figure: the figure's left half labelled on the left."""
    middle = FIGURE_LEFT + FIGURE_WIDTH / 2
    left: list[int] = []
    right: list[int] = []
    for i, (x, _) in enumerate(points):
        if abs(x - middle) < 1e-6:  # on the body's axis: to the shorter column
            (left if len(left) <= len(right) else right).append(i)
        else:
            (left if x < middle else right).append(i)
    xs = [x for x, _ in points] or [middle]
    # a schema with more names than a column holds makes the figure taller
    bottom = max(HEIGHT - PAD, LABEL_TOP + (max(len(left), len(right)) - 1) * LABEL_PITCH)
    labels: list[Label] = []
    for column, on_left in ((left, True), (right, False)):
        column_x = min(xs) - LABEL_MARGIN if on_left else max(xs) + LABEL_MARGIN
        column.sort(key=lambda i: (points[i][1], abs(points[i][0] - column_x)))
        heights = _spread([points[i][1] + FONT_SIZE / 3 for i in column], LABEL_TOP, bottom)
        slots = [Label("", (0.0, 0.0), column_x, y, on_left).leader_end for y in heights]
        order = _uncrossed([points[i] for i in column], slots)
        labels += [
            Label(names[column[k]], points[column[k]], column_x, y, on_left)
            for k, y in zip(order, heights, strict=True)
        ]
    return labels


def _radii(points: list[tuple[float, float]]) -> list[float]:
    """Each point's radius: POINT_RADIUS, or less than half the way to its nearest neighbour (at least 2)."""
    radii = []
    for i, (x, y) in enumerate(points):
        nearest = min((math.dist((x, y), q) for j, q in enumerate(points) if j != i), default=math.inf)
        radii.append(max(2.0, min(POINT_RADIUS, 0.45 * nearest)))
    return radii


def _line(a: tuple[float, float], b: tuple[float, float], css: str) -> str:
    return f'<line class="{css}" x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}"/>'


def _label_svg(label: Label) -> str:
    return (
        _line(label.point, label.leader_end, "leader")
        + f'<text class="label" x="{label.x:.1f}" y="{label.y:.1f}" text-anchor="{label.anchor}">'
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
    f".title{{font:bold {TITLE_SIZE}px sans-serif;fill:#222}}"
)


def _extent(boxes: Sequence[Box]) -> tuple[float, float]:
    """The x range the figure draws in, with a margin: its viewBox's left edge and width."""
    left = math.floor(min(b[0] for b in boxes) - PAD)
    return left, math.ceil(max(b[2] for b in boxes) + PAD) - left


def skeleton_svg(schema: str, names: Sequence[str], edges: Sequence[Sequence[int]]) -> str:
    """The schema's figure as an SVG document: edges, points and one label per keypoint name,
    as wide as its labels need, so that it shrinks as little as it can on a narrow page."""
    points = [_to_svg(p) for p in layout(schema, names)]
    labels = _labels(names, points)
    title = f"{schema}: {len(names)} keypoints, {len(edges)} edges"
    middle = FIGURE_LEFT + FIGURE_WIDTH / 2
    radii = _radii(points)
    boxes = [
        text_box(title, middle, TITLE_Y, "middle", TITLE_SIZE),
        (FIGURE_LEFT, FIGURE_TOP, FIGURE_LEFT + FIGURE_WIDTH, FIGURE_TOP + FIGURE_HEIGHT),
        *(label.box for label in labels),
        *((x - r, y - r, x + r, y + r) for (x, y), r in zip(points, radii, strict=True)),
    ]
    left, width = _extent(boxes)
    height = max(HEIGHT, math.ceil(max(b[3] for b in boxes) + PAD))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="{left} 0 {width} {height}" role="img" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style>",
        f'<rect x="{left}" width="{width}" height="{height}" fill="#fff"/>',
        f'<text class="title" x="{middle:.1f}" y="{TITLE_Y}" text-anchor="middle">{escape(title)}</text>',
        *_backdrop(schema),
        *(_line(points[a], points[b], "edge") for a, b in edges if a < len(points) and b < len(points)),
        *(_label_svg(label) for label in labels),
        *(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"/>'
            for (x, y), r in zip(points, radii, strict=True)
        ),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
