"""Where does each branch label go, on its arrow, without covering anything?

Candidates slide along the arrow; overlapping a node or another label costs
most, covering another arrow (found by clipping its polyline) costs less.
"""

from __future__ import annotations

import numpy as np


def _overlap(a, b, pad: float = 0.0) -> bool:
    return a[0] < b[2] + pad and b[0] < a[2] + pad and a[1] < b[3] + pad and b[1] < a[3] + pad


def _crosses(points: np.ndarray, box) -> bool:
    """Whether a polyline passes through the inside of ``box`` (x0, y0, x1, y1).

    Liang-Barsky clipping of all its segments at once.
    """
    x0, y0, x1, y1 = box
    p, d = points[:-1], np.diff(points, axis=0)
    if not len(d):
        return False
    lo = np.zeros(len(d))
    hi = np.ones(len(d))
    inside = np.ones(len(d), dtype=bool)
    for den, num in ((-d[:, 0], p[:, 0] - x0), (d[:, 0], x1 - p[:, 0]),
                     (-d[:, 1], p[:, 1] - y0), (d[:, 1], y1 - p[:, 1])):
        flat = np.abs(den) < 1e-12
        inside &= ~(flat & (num <= 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(flat, 0.0, num / np.where(flat, 1.0, den))
        lo = np.where(~flat & (den < 0), np.maximum(lo, r), lo)
        hi = np.where(~flat & (den > 0), np.minimum(hi, r), hi)
    return bool(np.any(inside & (lo < hi)))


def _place_labels(wanted: list, node_boxes: list, lines: dict) -> tuple[dict, set]:
    """Centre each label on its arrow, as near its start as it can be without overlaps.

    ``wanted`` holds ``(index, width, height, points, s_from, s_to, prefer, channel)``;
    candidates slide along the arrow between ``s_from`` and ``s_to``, the
    nearer ``prefer`` the better.  Overlapping a node or
    another label is ruled out when possible, covering another arrow is
    avoided.  Returns the centres by index and the channels that were too tight.
    """
    placed: dict = {}
    boxes: list = []
    tight: set = set()
    extents = {j: (*p.min(axis=0), *p.max(axis=0)) for j, p in lines.items()}
    for i, w, h, points, s_from, s_to, prefer, channel in wanted:
        steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
        arc = np.concatenate([[0.0], np.cumsum(steps)])
        low = max(s_from, prefer - 2.5)
        candidates = np.arange(low, min(max(s_to, low), prefer + 2.5) + 1e-9, 0.03)
        best = None
        for k, s in enumerate(candidates):
            cx = float(np.interp(s, arc, points[:, 0]))
            cy = float(np.interp(s, arc, points[:, 1]))
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            hard = sum(_overlap(box, b, 0.03) for b in [*node_boxes, *boxes])
            soft = sum(_crosses(p, box) for j, p in lines.items()
                       if j != i and _overlap(box, extents[j]))
            score = 100 * hard + 3 * soft + 1.5 * abs(s - prefer)
            if best is None or score < best[0]:
                best = (score, (cx, cy), box, hard)
        if best is None:
            continue
        placed[i] = best[1]
        boxes.append(best[2])
        if best[3] and channel is not None:
            tight.add(channel)
    return placed, tight
