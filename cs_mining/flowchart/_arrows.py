"""Which way does each arrow run, from which point of its nodes?

Forward arrows leave a node from their own point on its bottom edge (the
outer branches of a diamond from its side corners when the way is clear) and
bend gently between layers; loops come back on outer lanes at the right,
leaving and entering at the side of the boxes.  Paths are matplotlib vertices
and codes; ``_flatten`` samples them into points for label placement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._layout import _DUMMY_WIDTH, _is_dummy, _place_l2
from .model import Flowchart

if TYPE_CHECKING:
    from .draw import Layout

_LANE_GAP = 0.3    # between loop lanes, and from the nodes to the first lane
_CORNER = 0.12     # radius of the rounded corners of loops


# --- Geometry of the drawn shapes (inches) -----------------------------------------------

def _edge_y(lay: Layout, kind: str, n, dx: float, side: int) -> float:
    """The y of the shape's top (side=1) or bottom (side=-1) edge, ``dx`` from its centre."""
    cy, w, h = lay.y[n], lay.width[n], lay.height[n]
    if kind in ("decision", "parallel", "inclusive"):
        return cy + side * (h / 2 - abs(dx) * h / w)
    if kind in ("start", "end"):
        return cy + side * (h / 2) * float(np.sqrt(max(1 - (2 * dx / w) ** 2, 0.0)))
    return cy + side * h / 2


def _side_x(lay: Layout, kind: str, n, dy: float) -> float:
    """The x of the shape's right edge, ``dy`` above its centre."""
    cx, w, h = lay.x[n], lay.width[n], lay.height[n]
    if kind in ("decision", "parallel", "inclusive"):
        return cx + w / 2 * (1 - 2 * abs(dy) / h)
    if kind in ("start", "end"):
        return cx + w / 2 * float(np.sqrt(max(1 - (2 * dy / h) ** 2, 0.0)))
    return cx + w / 2


def _spread(kind: str, w: float, desired: np.ndarray) -> np.ndarray:
    """Offsets from the centre for arrows sharing an edge: in order, apart, on the edge."""
    if kind in ("decision", "parallel", "inclusive"):
        half, spacing = 0.32 * w, 0.3
    elif kind in ("start", "end"):
        half, spacing = 0.3 * w, 0.25
    else:
        half, spacing = max(w / 2 - 0.15, 0.0), 0.25
    desired = np.clip(desired, -half, half)
    if len(desired) == 1 and kind != "step":
        return np.zeros(1)   # a tip or the top of an oval, not a slanted edge
    if len(desired) > 1:
        spacing = min(spacing, 2 * half / (len(desired) - 1))
    pos = _place_l2(desired, np.full(len(desired) - 1, spacing))
    if len(pos) and pos[0] < -half:
        pos = pos + (-half - pos[0])
    if len(pos) and pos[-1] > half:
        pos = pos - (pos[-1] - half)
    return pos


def _ports(chart: Flowchart, lay: Layout) -> tuple[dict, dict, dict]:
    """Where each forward arrow leaves its source and enters its target: (x, y) by index.

    Arrows of one node get points of their own along its bottom (or top) edge,
    in the order of where they go, each as near as it can be to straight.  The
    outer branches of a diamond leave from its side corners when the way there
    is clear; the third dict gives the x where they turn down.
    """
    out: dict = {}
    into: dict = {}
    turns: dict = {}
    by_node: dict = {}
    looped = {n for i in lay.loops for n in (chart.arrows[i].source, chart.arrows[i].target)}
    for i, chain in lay.chains.items():
        by_node.setdefault(chain[0], []).append((lay.xs[chain[1]], i))
    for node, items in by_node.items():
        kind = chart.nodes[node].kind
        cx, cy, w = lay.x[node], lay.y[node], lay.width[node]
        items.sort()
        if kind in ("decision", "parallel", "inclusive") and len(items) > 1:
            row = lay.order[lay.layer[node]]
            k = row.index(node)
            for pick, sign, neighbour in ((0, -1, row[k - 1] if k else None),
                                          (-1, 1, row[k + 1] if k + 1 < len(row) else None)):
                t, i = items[pick]
                reach = (lay.xs[neighbour] - sign * (
                    _DUMMY_WIDTH if _is_dummy(neighbour) else lay.width[neighbour]) / 2
                    if neighbour is not None else None)
                beyond = sign * (t - cx) > w / 2 + 0.2
                clear = (reach is None or sign * (reach - t) > 0.15) and not (
                    sign > 0 and node in looped)
                if beyond and clear and i not in turns:
                    out[i], turns[i] = (cx + sign * w / 2, cy), t
            items = [(t, i) for t, i in items if i not in turns]
        pos = _spread(kind, w, np.array([t for t, _ in items]) - cx)
        for (_, i), dx in zip(items, pos):
            out[i] = (cx + float(dx), _edge_y(lay, kind, node, float(dx), -1))
    by_node = {}
    for i, chain in lay.chains.items():
        before = turns.get(i, out[i][0]) if len(chain) == 2 else lay.xs[chain[-2]]
        by_node.setdefault(chain[-1], []).append((before, i))
    for node, items in by_node.items():
        kind, cx, w = chart.nodes[node].kind, lay.x[node], lay.width[node]
        items.sort()
        pos = _spread(kind, w, np.array([t for t, _ in items]) - cx)
        for (_, i), dx in zip(items, pos):
            into[i] = (cx + float(dx), _edge_y(lay, kind, node, float(dx), 1))
    return out, into, turns


def _forward_path(lay: Layout, chain: list, start: tuple, end: tuple, turn=None):
    """Vertices and codes: straight down through each layer, a gentle S between layers.

    With ``turn``, the arrow first runs sideways from ``start`` and turns down there.
    """
    from matplotlib.path import Path as MplPath

    verts, codes = [start], [MplPath.MOVETO]

    def line(p):
        if abs(p[0] - verts[-1][0]) > 1e-9 or abs(p[1] - verts[-1][1]) > 1e-9:
            verts.append(p)
            codes.append(MplPath.LINETO)

    def bend(p):
        (x0, y0), (x1, y1) = verts[-1], p
        if abs(x1 - x0) < 1e-6:
            line(p)
            return
        h = (y0 - y1) / 2
        verts.extend([(x0, y0 - h), (x1, y1 + h), p])
        codes.extend([MplPath.CURVE4] * 3)

    level = lay.layer[chain[0]]
    if turn is not None:
        r = min(_CORNER * 1.5, abs(turn - start[0]) / 2, (start[1] - lay.row_bottom[level]) / 2)
        line((turn - np.sign(turn - start[0]) * r, start[1]))
        verts.extend([(turn, start[1]), (turn, start[1] - r)])
        codes.extend([MplPath.CURVE3] * 2)
        start = (turn, start[1])
    line((start[0], lay.row_bottom[level]))
    for item in chain[1:]:
        level += 1
        if _is_dummy(item):
            bend((lay.xs[item], lay.row_top[level]))
            line((lay.xs[item], lay.row_bottom[level]))
        else:
            bend((end[0], lay.row_top[level]))
            line(end)
    return verts, codes


def _rounded(points: list, radius: float = _CORNER):
    """Vertices and codes of an orthogonal polyline with rounded corners."""
    from matplotlib.path import Path as MplPath

    verts, codes = [points[0]], [MplPath.MOVETO]
    for prev, corner, nxt in zip(points, points[1:], points[2:]):
        p, c, q = (np.array(v, dtype=float) for v in (prev, corner, nxt))
        r = min(radius, np.linalg.norm(c - p) / 2, np.linalg.norm(q - c) / 2)
        a = c + (p - c) / max(np.linalg.norm(p - c), 1e-12) * r
        b = c + (q - c) / max(np.linalg.norm(q - c), 1e-12) * r
        verts += [tuple(a), tuple(c), tuple(b)]
        codes += [MplPath.LINETO, MplPath.CURVE3, MplPath.CURVE3]
    verts.append(points[-1])
    codes.append(MplPath.LINETO)
    return verts, codes


def _flatten(verts, codes) -> np.ndarray:
    """Points along a path (Bézier pieces sampled), for label placement and checks."""
    from matplotlib.path import Path as MplPath

    points = [verts[0]]
    for piece, code in MplPath(verts, codes).iter_bezier():
        if code != MplPath.MOVETO:
            points.extend(piece(np.linspace(0, 1, 17))[1:])
    return np.array(points, dtype=float)


def _loop_paths(chart: Flowchart, lay: Layout) -> dict:
    """Orthogonal routes of the loops on outer lanes at the right: index -> corner points."""
    def right_of(level):
        return max(lay.xs[n] + (_DUMMY_WIDTH / 2 if _is_dummy(n) else lay.width[n] / 2)
                   for n in lay.order[level])

    def blocked(n):
        row = lay.order[lay.layer[n]]
        return any(not _is_dummy(m) for m in row[row.index(n) + 1:])

    def free_x(n):
        row = lay.order[lay.layer[n]]
        k = row.index(n)
        right = lay.x[n] + lay.width[n] / 2
        nxt = next((m for m in row[k + 1:] if not _is_dummy(m)), None)
        return right + ((lay.xs[nxt] - lay.width[nxt] / 2) - right) / 2 if nxt else right + 0.15

    routes: dict = {}
    lanes: list[tuple[int, int, float]] = []
    lane_of: dict = {}
    loops = sorted(lay.loops, key=lambda i: (lay.layer[chart.arrows[i].source]
                                             - lay.layer[chart.arrows[i].target], i))
    for i in loops:
        a = chart.arrows[i]
        if a.source == a.target:
            continue
        lo, hi = lay.layer[a.target], lay.layer[a.source]
        lane = max(right_of(level) for level in range(lo, hi + 1)) + _LANE_GAP
        for l0, l1, x in lanes:
            if not (hi < l0 or lo > l1):
                lane = max(lane, x + _LANE_GAP)
        lanes.append((lo, hi, lane))
        lane_of[i] = lane

    # Several loop ends on one side are spread out, top to bottom: loops leaving
    # (inner lanes first), then loops arriving (outer lanes first); so none of
    # their runs to and from the lanes cross another's lane.
    ends: dict = {}
    for i, lane in lane_of.items():
        a = chart.arrows[i]
        ends.setdefault(a.source, []).append((0, lane, i, "out"))
        ends.setdefault(a.target, []).append((1, -lane, i, "in"))
    end_y: dict = {}
    for n, items in ends.items():
        items.sort()
        spread = np.linspace(1, -1, len(items)) * (lay.height[n] * 0.3 if len(items) > 1 else 0)
        for (_, _, i, role), dy in zip(items, spread):
            end_y[i, role] = float(dy)

    for i in loops:
        a = chart.arrows[i]
        s, t = a.source, a.target
        ks, kt = chart.nodes[s].kind, chart.nodes[t].kind
        if s == t:
            dy = lay.height[s] / 4
            x0, x1 = _side_x(lay, ks, s, -dy), _side_x(lay, ks, s, dy)
            lane = lay.x[s] + lay.width[s] / 2 + 0.25
            routes[i] = [(x0, lay.y[s] - dy), (lane, lay.y[s] - dy),
                         (lane, lay.y[s] + dy), (x1, lay.y[s] + dy)]
            continue
        lo, hi, lane = lay.layer[t], lay.layer[s], lane_of[i]
        ds, dt = end_y[i, "out"], end_y[i, "in"]
        ys, yt = lay.y[s] + ds, lay.y[t] + dt
        points = [(_side_x(lay, ks, s, ds), ys)]
        if blocked(s):
            channel = (lay.row_top[hi] + (lay.row_bottom[hi - 1] if hi else lay.row_top[hi] + 0.3)) / 2
            points += [(free_x(s), ys), (free_x(s), channel), (lane, channel)]
        else:
            points.append((lane, ys))
        if blocked(t):
            below = lay.row_top[lo + 1] if lo + 1 < len(lay.row_top) else lay.row_bottom[lo] - 0.3
            channel = (lay.row_bottom[lo] + below) / 2
            points += [(lane, channel), (free_x(t), channel), (free_x(t), yt)]
        else:
            points.append((lane, yt))
        points.append((_side_x(lay, kt, t, dt), yt))
        routes[i] = points
    return routes
