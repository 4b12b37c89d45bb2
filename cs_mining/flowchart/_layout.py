"""In what order does each layer's nodes go, and at what x and y?

Used by ``layout_flowchart`` (in ``draw``), which puts the nodes in layers and
adds a placeholder for each layer a long arrow crosses: this module orders
each layer to reduce crossings (barycentre sweeps, then swaps of neighbours),
places the items at the x that minimises the weighted horizontal length of
the arrows, and sets each row's y from the layers' heights.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .draw import Layout

_GAP_X = 0.35      # inches between neighbouring nodes of a layer
_DUMMY_WIDTH = 0.15
# Weights of the horizontal length of an arrow piece, as in dot: pieces between
# two placeholders count most, so long arrows keep a straight lane.
_WEIGHT = {0: 1.0, 1: 2.0, 2: 8.0}


def _is_dummy(item) -> bool:
    return isinstance(item, tuple)


def _order_layers(layers: list[list], up: dict, down: dict, loop_ends: Counter) -> list[list]:
    """Barycentre sweeps, then swaps of neighbours; keeps the ordering with the least cost.

    The cost counts arrow crossings, plus what a loop's side exit would run
    into: loops leave and enter on the right, so their ends belong at the
    right of their layer.
    """

    def cost(order):
        total = 0.0
        for upper, lower in zip(order, order[1:]):
            pos = {n: i for i, n in enumerate(lower)}
            edges = [(i, pos[c]) for i, n in enumerate(upper) for c in down[n] if c in pos]
            total += sum(1 for a in range(len(edges)) for b in range(a + 1, len(edges))
                         if (edges[a][0] - edges[b][0]) * (edges[a][1] - edges[b][1]) < 0)
        for row in order:
            for k, n in enumerate(row):
                if loop_ends.get(n):
                    total += loop_ends[n] * sum(1 if _is_dummy(m) else 3 for m in row[k + 1:])
        return total

    def sweep(order, downward):
        indexes = range(1, len(order)) if downward else range(len(order) - 2, -1, -1)
        for i in indexes:
            ref = order[i - 1] if downward else order[i + 1]
            pos = {n: k for k, n in enumerate(ref)}
            links = up if downward else down

            def key(item, pos=pos, links=links, size=len(ref)):
                k, n = item
                near = [pos[m] for m in links[n] if m in pos]
                near += [size] * loop_ends.get(n, 0)
                return (sum(near) / len(near)) if near else k * size / max(len(order[i]), 1)
            order[i] = [n for _, n in sorted(enumerate(order[i]), key=key)]

    def transpose(order):
        current = cost(order)
        improved = True
        while improved:
            improved = False
            for row in order:
                for k in range(len(row) - 1):
                    row[k], row[k + 1] = row[k + 1], row[k]
                    new = cost(order)
                    if new < current:
                        current, improved = new, True
                    else:
                        row[k], row[k + 1] = row[k + 1], row[k]
        return current

    best = [list(row) for row in layers]
    best_cost = transpose(best)
    order = [list(row) for row in best]
    for k in range(10):
        sweep(order, downward=k % 2 == 0)
        count = transpose(order)
        if count < best_cost:
            best, best_cost = [list(row) for row in order], count
    return best


def _weighted_median(values, weights, near: float) -> float:
    """A weighted median of ``values``: of the values in the median interval, the one
    nearest ``near``, so that a node lines up with one of its neighbours rather than
    settling between them (in least absolute deviation both cost the same)."""
    pairs = sorted(zip(values, weights))
    total = sum(w for _, w in pairs)
    seen, lo, hi = 0.0, None, None
    for v, w in pairs:
        before, seen = seen, seen + w
        if lo is None and seen >= total / 2 - 1e-9:
            lo = v
        if before <= total / 2 + 1e-9 and seen >= total / 2 - 1e-9:
            hi = v
    inside = [v for v, _ in pairs if lo - 1e-9 <= v <= hi + 1e-9]
    return min(inside, key=lambda v: (abs(v - near), v))


def _place_l1(targets: list[list[tuple[float, float]]], gaps: np.ndarray,
              current: np.ndarray) -> np.ndarray:
    """Positions minimising the weighted distance to each item's targets, in order and gaps apart.

    Pool-adjacent-violators with weighted medians: the least absolute
    deviation fit that keeps ``x[k+1] - x[k] >= gaps[k]``.
    """
    offset = np.concatenate([[0.0], np.cumsum(gaps)])
    blocks: list[list] = []   # [value, shifted targets, shifted current positions]
    for k, items in enumerate(targets):
        shifted = [(t - offset[k], w) for t, w in items]
        here = [current[k] - offset[k]]
        blocks.append([_weighted_median(*zip(*shifted), here[0]), shifted, here])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0] + 1e-12:
            _, t2, h2 = blocks.pop()
            _, t1, h1 = blocks.pop()
            merged, here = t1 + t2, h1 + h2
            blocks.append([_weighted_median(*zip(*merged), float(np.mean(here))), merged, here])
    fitted = np.concatenate([[v] * len(h) for v, _, h in blocks])
    return fitted + offset


def _place_l2(desired: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Positions closest to ``desired`` (least squares) keeping order and minimum gaps."""
    offset = np.concatenate([[0.0], np.cumsum(gaps)])
    blocks: list[list[float]] = []  # [mean, count]
    for value in desired - offset:
        blocks.append([value, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, c2 = blocks.pop()
            v1, c1 = blocks.pop()
            blocks.append([(v1 * c1 + v2 * c2) / (c1 + c2), c1 + c2])
    return np.concatenate([[v] * c for v, c in blocks]) + offset


def _assign_x(order: list[list], up: dict, down: dict, width) -> dict:
    def gaps(row):
        w = np.array([width(n) for n in row])
        both_dummies = np.array([_is_dummy(a) and _is_dummy(b) for a, b in zip(row, row[1:])])
        return (w[:-1] + w[1:]) / 2 + np.where(both_dummies, 0.2, _GAP_X)

    x: dict = {}
    for row in order:
        pos = np.concatenate([[0.0], np.cumsum(gaps(row))])
        x.update(zip(row, (pos - pos[-1] / 2).tolist()))
    for k in range(24):
        downward = k % 2 == 0
        for row in (order if downward else order[::-1]):
            targets = []
            for n in row:
                near = [(x[m], _WEIGHT[_is_dummy(n) + _is_dummy(m)])
                        for m in [*up[n], *down[n]]]
                targets.append(near or [(x[n], 1e-3)])
            x.update(zip(row, _place_l1(targets, gaps(row),
                                         np.array([x[n] for n in row])).tolist()))
    return x


def _assign_y(lay: Layout, gaps: list[float]) -> None:
    """Set the rows' vertical positions from the layers' heights and the spaces between."""
    top = 0.0
    lay.row_top, lay.row_bottom = [], []
    for level, row in enumerate(lay.order):
        height = max([lay.height[n] for n in row if not _is_dummy(n)] + [0.3])
        lay.row_top.append(top)
        lay.row_bottom.append(top - height)
        for n in row:
            if not _is_dummy(n):
                lay.y[n] = top - height / 2
        top -= height + (gaps[level] if level < len(gaps) else 0.0)
    for i, chain in lay.chains.items():
        lay.routes[i] = [(lay.xs[d], (lay.row_top[d[2]] + lay.row_bottom[d[2]]) / 2)
                         for d in chain[1:-1]]
