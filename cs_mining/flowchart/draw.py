"""Draw a flowchart with matplotlib, in the standard symbols, top to bottom.

Ovals are start and end, boxes are steps (with their wait target under the
label), diamonds are decisions, and small diamonds marked ``+`` and ``o`` are
parallel and inclusive gateways.  The layout needs only networkx, in the
manner of Graphviz's *dot*: nodes are put in layers along the longest path
from the start (loops set aside); an arrow that spans several layers gets a
placeholder in each layer it crosses, so it has a lane of its own; the order
inside each layer is chosen to reduce crossings (barycentre sweeps, then
swaps of neighbours); and positions minimise the weighted horizontal length
of the arrows, so the main path runs straight and long arrows stay straight.
Arrows leave a node from its own point on the bottom edge and bend gently
(vertical at both ends) between layers.  Loops come back on an outer lane on
the right, leaving and entering at the side of the boxes.

Examples
--------
>>> from cs_mining.flowchart.model import Arrow, Flowchart, Node
>>> chart = Flowchart(name="Order by phone",
...     nodes=[Node("s", "start", "Call"), Node("take", "step", "Take order"),
...            Node("e", "end", "Done")],
...     arrows=[Arrow("s", "take"), Arrow("take", "e")])
>>> ax = draw_flowchart(chart)
>>> sorted(t.get_text() for t in ax.texts)
['Call', 'Done', 'Take order']
>>> import matplotlib.pyplot as plt; plt.close(ax.figure)
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .model import Flowchart, format_duration

__all__ = ["draw_flowchart", "layout_flowchart", "back_edges", "text_colour"]

_WRAP = {"step": 22, "decision": 16, "start": 18, "end": 18, "parallel": 18, "inclusive": 18}
_FONT_SIZE = 9.0
_LABEL_SIZE = _FONT_SIZE - 1
_GAP_X = 0.35      # inches between neighbouring nodes of a layer
_GAP_Y = 0.42      # inches between layers, at least
_DUMMY_WIDTH = 0.15
_GATEWAY = 0.42    # side of the small parallel / inclusive diamond
_LANE_GAP = 0.3    # between loop lanes, and from the nodes to the first lane
_CORNER = 0.12     # radius of the rounded corners of loops
_LINE = "#333333"
_FILL = {"start": "#e8f1fb", "end": "#e8f1fb", "step": "#ffffff", "decision": "#fff6dc",
         "parallel": "#fff6dc", "inclusive": "#fff6dc"}
_LOOP = "#b35c00"
_LABEL_COLOUR = "#1f4e79"
_DARK_TEXT, _LIGHT_TEXT = "#111111", "#ffffff"
_MUTED = {"dark": "#555555", "light": "#eeeeee"}
# Weights of the horizontal length of an arrow piece, as in dot: pieces between
# two placeholders count most, so long arrows keep a straight lane.
_WEIGHT = {0: 1.0, 1: 2.0, 2: 8.0}


def back_edges(graph: nx.DiGraph, roots=()) -> list[tuple]:
    """Return the arrows that close a loop, found by depth-first search from ``roots``.

    Removing them leaves a graph without cycles.  Nodes not reachable from
    ``roots`` are searched afterwards, in the graph's order.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph([("s", "a"), ("a", "b"), ("b", "a"), ("b", "e"), ("e", "e")])
    >>> back_edges(g, ["s"])
    [('b', 'a'), ('e', 'e')]
    """
    state: dict = {}
    found = []
    for root in [*roots, *graph.nodes]:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(graph.successors(root)))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == 1:
                    found.append((node, child))
                elif child not in state:
                    state[child] = 1
                    stack.append((child, iter(graph.successors(child))))
                    break
            else:
                state[node] = 2
                stack.pop()
    return found


def _luminance(colour) -> float:
    from matplotlib import colors

    rgb = np.array(colors.to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def _contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(fill, *, muted: bool = False) -> str:
    """Return the text colour that reads best on ``fill``: near-black or white.

    Chosen by contrast ratio (WCAG 2: relative luminance), so dark fills get
    white text.  With ``muted``, a grey is returned instead when it still has
    a contrast of at least 4.5:1.

    Examples
    --------
    >>> text_colour("#ffffff"), text_colour("#67000d"), text_colour("#fcbba1")
    ('#111111', '#ffffff', '#111111')
    >>> text_colour("#ffffff", muted=True), text_colour("#fb6a4a", muted=True)
    ('#555555', '#111111')
    """
    dark = _contrast(_DARK_TEXT, fill) >= _contrast(_LIGHT_TEXT, fill)
    main = _DARK_TEXT if dark else _LIGHT_TEXT
    grey = _MUTED["dark" if dark else "light"]
    return grey if muted and _contrast(grey, fill) >= 4.5 else main


@dataclass
class Layout:
    """Where each node goes, in inches (y grows upwards; layers go down).

    ``order`` lists each layer's items left to right: node ids, and
    ``("dummy", arrow index, layer)`` placeholders of long arrows, whose
    positions are in ``xs``.  ``chains`` maps a forward arrow's index to
    its items from source to target; ``routes`` to its placeholders' points.
    """

    x: dict = field(default_factory=dict)
    y: dict = field(default_factory=dict)
    width: dict = field(default_factory=dict)
    height: dict = field(default_factory=dict)
    layer: dict = field(default_factory=dict)
    routes: dict = field(default_factory=dict)     # forward arrow index -> bend points
    loops: list = field(default_factory=list)      # arrow indexes drawn on the side
    order: list = field(default_factory=list)
    chains: dict = field(default_factory=dict)
    xs: dict = field(default_factory=dict)
    gaps: list = field(default_factory=list)       # height of the space below each layer
    row_top: list = field(default_factory=list)
    row_bottom: list = field(default_factory=list)


def _visible_length(word: str) -> int:
    # Vowel signs and viramas of Indic scripts (Mn, Mc) and joiners (Cf) take no
    # column of their own: count only the characters that start a glyph cluster.
    return sum(unicodedata.category(c) not in ("Mn", "Mc", "Cf") for c in word)


def _wrap(text: str, width: int) -> str:
    lines: list[str] = []
    for word in text.split():
        if lines and _visible_length(lines[-1]) + 1 + _visible_length(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines) or text


def _shown_label(node) -> str:
    """Gateways without a label of their own show nothing (their id is not for readers)."""
    if node.kind in ("parallel", "inclusive", "decision") and node.label == node.id:
        return ""
    return node.label


def _node_size(kind: str, text_w: float, text_h: float) -> tuple[float, float]:
    if kind == "step":
        return max(text_w + 0.4, 1.4), max(text_h + 0.24, 0.5)
    if kind in ("start", "end"):
        return max(text_w * 1.25 + 0.35, 1.2), max(text_h * 1.4 + 0.2, 0.48)
    if kind == "decision":
        return max(text_w * 1.6 + 0.3, 1.0), max(text_h * 2.2 + 0.25, 0.7)
    return _GATEWAY, _GATEWAY


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


def layout_flowchart(chart: Flowchart, sizes: dict) -> Layout:
    """Compute node positions for ``chart``; ``sizes`` maps node id to (width, height).

    Examples
    --------
    >>> from cs_mining.flowchart.model import Arrow, Flowchart, Node
    >>> chart = Flowchart(name="c", nodes=[Node("s", "start"), Node("a"), Node("e", "end")],
    ...                   arrows=[Arrow("s", "a"), Arrow("a", "e"), Arrow("a", "a")])
    >>> lay = layout_flowchart(chart, {n: (1.0, 0.5) for n in ("s", "a", "e")})
    >>> [lay.layer[n] for n in ("s", "a", "e")], lay.loops
    ([0, 1, 2], [2])
    >>> [round(lay.x[n], 2) for n in ("s", "a", "e")]
    [0.0, 0.0, 0.0]
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(chart.nodes)
    valid = [i for i, a in enumerate(chart.arrows)
             if a.source in chart.nodes and a.target in chart.nodes]
    graph.add_edges_from((chart.arrows[i].source, chart.arrows[i].target) for i in valid)
    roots = [n.id for n in chart.node_list if n.kind == "start"]
    back = set(back_edges(graph, roots))
    dag = graph.copy()
    dag.remove_edges_from(back)

    layer: dict = {}
    for node in nx.topological_sort(dag):
        preds = list(dag.predecessors(node))
        layer[node] = max((layer[p] + 1 for p in preds), default=0)
    # Pull nodes without predecessors (other than starts) down next to their first successor.
    for node in reversed(list(nx.topological_sort(dag))):
        succs = list(dag.successors(node))
        if not list(dag.predecessors(node)) and succs and chart.nodes[node].kind != "start":
            layer[node] = min(layer[s] for s in succs) - 1
    lay = Layout(layer=dict(layer))
    for n in chart.nodes:
        lay.width[n], lay.height[n] = sizes[n]

    up: dict = {n: [] for n in chart.nodes}
    down: dict = {n: [] for n in chart.nodes}
    loop_ends: Counter = Counter()
    for i in valid:
        a = chart.arrows[i]
        if (a.source, a.target) in back:
            lay.loops.append(i)
            if a.source != a.target:
                loop_ends.update([a.source, a.target])
            continue
        chain = [a.source]
        for level in range(layer[a.source] + 1, layer[a.target]):
            dummy = ("dummy", i, level)
            layer[dummy] = level
            up[dummy], down[dummy] = [], []
            chain.append(dummy)
        chain.append(a.target)
        for u, v in zip(chain, chain[1:]):
            down[u].append(v)
            up[v].append(u)
        lay.chains[i] = chain

    depth = max(layer.values(), default=-1) + 1
    first_seen = {n: k for k, n in enumerate(
        nx.dfs_preorder_nodes(dag, roots[0]) if roots else [])}
    written = {n.id: k for k, n in enumerate(chart.node_list)}

    def initial_key(n):
        if _is_dummy(n):
            return (first_seen.get(chart.arrows[n[1]].source, len(written)), n[1])
        return (first_seen.get(n, len(written) + written[n]), -1)

    layers = [sorted([n for n in layer if layer[n] == lv], key=initial_key)
              for lv in range(depth)]
    lay.order = _order_layers(layers, up, down, loop_ends)

    def width(n):
        return _DUMMY_WIDTH if _is_dummy(n) else sizes[n][0]

    lay.xs = _assign_x(lay.order, up, down, width)
    shift = -lay.xs[roots[0]] if roots else 0.0
    lay.xs = {n: v + shift for n, v in lay.xs.items()}
    for n in chart.nodes:
        lay.x[n] = lay.xs[n]

    # Space between layers grows with how far the arrows there travel sideways,
    # so that their bends stay gentle.
    lay.gaps = [_GAP_Y] * max(depth - 1, 0)
    for chain in lay.chains.values():
        for u, v in zip(chain, chain[1:]):
            travel = abs(lay.xs[u] - lay.xs[v])
            lay.gaps[layer[u]] = max(lay.gaps[layer[u]], min(0.25 + 0.2 * travel, 0.85))
    _assign_y(lay, lay.gaps)
    return lay


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


def draw_flowchart(chart: Flowchart, ax=None, *, title: str | None = None,
                   highlight: dict | None = None):
    """Draw a flowchart top to bottom in the standard symbols.

    Parameters
    ----------
    chart : Flowchart
    ax : matplotlib.axes.Axes or None, default=None
        Where to draw; a new figure sized to the chart when None.
    title : str, optional
        Defaults to the chart's name.
    highlight : dict, optional
        Node id -> colour, to fill problem steps (e.g. ``{"answer": "#f4a6a6"}``).
        Text on a highlighted node is white on dark fills and black on light
        ones (see :func:`text_colour`).

    Returns
    -------
    matplotlib.axes.Axes
        One text per shown label: node labels (gateways without a label of their
        own show none), wait targets (``≤ 60s``) and branch labels.  Each node's
        shape has ``gid`` ``node:<id>``, each arrow ``arrow:<index in chart.arrows>``
        and each branch label ``label:<index>``.

    Notes
    -----
    Branch labels sit on their arrow, on a white ground, as near the start of
    the arrow as they can without covering a node or another label.

    Examples
    --------
    >>> from cs_mining.flowchart.model import Arrow, Flowchart, Node
    >>> chart = Flowchart(name="Phone", nodes=[
    ...     Node("s", "start", "Call"), Node("a", label="Answer", wait_target_s=60),
    ...     Node("d", "decision", "Solved?"), Node("e", "end", "Done")],
    ...     arrows=[Arrow("s", "a"), Arrow("a", "d"), Arrow("d", "e", "yes"),
    ...             Arrow("d", "a", "no")])
    >>> ax = draw_flowchart(chart, highlight={"a": "#67000d"})
    >>> sorted(t.get_text() for t in ax.texts)
    ['Answer', 'Call', 'Done', 'Solved?', 'no', 'yes', '≤ 1min']
    >>> [t.get_color() for t in ax.texts if t.get_text() in ("Answer", "Call")]
    ['#111111', '#ffffff']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch, Polygon
    from matplotlib.path import Path as MplPath

    from .. import plots

    highlight = dict(highlight or {})
    with plots.plot_style():
        # Measure labels off-screen at 72 dpi (1 pixel = 1 point), with the real fonts.
        renderer, scratch = RendererAgg(10, 10, 72), Figure(dpi=72)

        def measure(text, size, **style):
            if not text:
                return 0.0, 0.0
            box = scratch.text(0, 0, text, fontsize=size, linespacing=1.15,
                               **style).get_window_extent(renderer)
            return box.width / 72, box.height / 72

        texts, sizes = {}, {}
        for node in chart.node_list:
            label = _wrap(_shown_label(node), _WRAP[node.kind])
            wait = (f"≤ {format_duration(node.wait_target_s)}"
                    if node.kind == "step" and node.wait_target_s is not None else "")
            w, h = measure(label, _FONT_SIZE)
            ww, wh = measure(wait, _FONT_SIZE - 1.5)
            texts[node.id] = (label, wait)
            if node.kind in ("parallel", "inclusive") or (node.kind == "decision" and not label):
                sizes[node.id] = (_GATEWAY, _GATEWAY)
            else:
                sizes[node.id] = _node_size(node.kind, max(w, ww), h + (wh + 0.03 if wait else 0))
        lay = layout_flowchart(chart, sizes)

        pad = 0.05   # the white ground around a branch label
        label_size = {i: tuple(v + 2 * pad for v in measure(a.label, _LABEL_SIZE, style="italic"))
                      for i, a in enumerate(chart.arrows) if a.label}
        gaps = list(lay.gaps)
        for i in lay.chains:
            if i in label_size:
                level = lay.layer[chart.arrows[i].source]
                gaps[level] = max(gaps[level], lay.gaps[level] + 0.6 * label_size[i][1])

        for attempt in range(5):
            _assign_y(lay, gaps)
            out_port, in_port, turns = _ports(chart, lay)
            paths = {i: _forward_path(lay, chain, out_port[i], in_port[i], turns.get(i))
                     for i, chain in lay.chains.items()}
            loop_points = _loop_paths(chart, lay)
            paths.update({i: _rounded(p) for i, p in loop_points.items()})
            lines = {i: _flatten(*p) for i, p in paths.items()}
            node_boxes = [(lay.x[n] - lay.width[n] / 2, lay.y[n] - lay.height[n] / 2,
                           lay.x[n] + lay.width[n] / 2, lay.y[n] + lay.height[n] / 2)
                          for n in chart.nodes]
            wanted = []
            for i in sorted(label_size, key=lambda i: (lay.layer.get(chart.arrows[i].source, 0),
                                                      out_port.get(i, (0, 0))[0])):
                if i not in paths:
                    continue
                w, h = label_size[i]
                points = lines[i]
                arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0),
                                                                      axis=1))])
                if i in loop_points:
                    # On the lane, from its middle upwards.
                    corners = loop_points[i]
                    lane = [k for k, p in enumerate(points) if abs(p[0] - corners[1][0]) < 1e-6]
                    first, last = (arc[lane[0]], arc[lane[-1]]) if lane else (0.0, arc[-1])
                    wanted.append((i, w, h, points, first + h / 2, last - h / 2,
                                   (first + last) / 2, None))
                    continue
                level = lay.layer[chart.arrows[i].source]
                if i in turns:    # on the sideways run, clear of the diamond
                    s_from = w / 2 + 0.06
                else:
                    s_from = out_port[i][1] - lay.row_bottom[level] + h / 2 + 0.06
                wanted.append((i, w, h, points, s_from, arc[-1] - 0.2 - h / 2, s_from, level))
            label_at, tight = _place_labels(wanted, node_boxes, lines)
            if not tight:
                break
            for level in tight:
                gaps[level] += 0.25

        # The drawing's extent: nodes, arrows, labels.
        every = [np.array(b).reshape(2, 2) for b in node_boxes]
        every += [line for line in lines.values()]
        every += [np.array([[x - label_size[i][0] / 2, y - label_size[i][1] / 2],
                            [x + label_size[i][0] / 2, y + label_size[i][1] / 2]])
                  for i, (x, y) in label_at.items()]
        allpoints = np.concatenate(every) if every else np.zeros((1, 2))
        (x0, y0), (x1, y1) = allpoints.min(axis=0), allpoints.max(axis=0)
        margin = 0.3
        width_in, height_in = x1 - x0 + 2 * margin, y1 - y0 + 2 * margin
        if ax is None:
            fig_w, fig_h = max(width_in, 4.0), max(height_in, 2.5) + 0.45
            ax = plots.new_axes(figsize=(fig_w, fig_h))
            ax.set_position([0.0, 0.0, 1.0, 1.0 - 0.45 / fig_h])
        ax.set_xlim(x0 - margin, x1 + margin)
        ax.set_ylim(y0 - margin, y1 + margin)
        ax.set_aspect("equal", adjustable="box")
        ax.set_axis_off()
        ax.set_title(chart.name if title is None else title, fontsize=_FONT_SIZE + 2)

        for node in chart.node_list:
            cx, cy, w, h = lay.x[node.id], lay.y[node.id], lay.width[node.id], lay.height[node.id]
            face = highlight.get(node.id, _FILL[node.kind])
            edge = dict(edgecolor=_LINE, facecolor=face, zorder=2,
                        linewidth=2.0 if node.id in highlight else 1.0)
            if node.kind in ("start", "end"):
                patch = Ellipse((cx, cy), w, h, **edge)
            elif node.kind == "step":
                patch = FancyBboxPatch((cx - w / 2, cy - h / 2), w, h,
                                       boxstyle="round,pad=0,rounding_size=0.06", **edge)
            else:
                patch = Polygon([(cx, cy + h / 2), (cx + w / 2, cy), (cx, cy - h / 2),
                                 (cx - w / 2, cy)], closed=True, **edge)
            patch.set_gid(f"node:{node.id}")
            ax.add_patch(patch)
            label, wait = texts[node.id]
            if node.kind in ("parallel", "inclusive"):
                marker = "+" if node.kind == "parallel" else "o"
                ax.plot([cx], [cy], marker=marker, markersize=9, color=text_colour(face),
                        markerfacecolor="none", markeredgewidth=1.6, zorder=3)
                if label:
                    ax.text(cx + w / 2 + 0.08, cy, label, ha="left", va="center",
                            fontsize=_FONT_SIZE - 1, color="#555555", zorder=3)
                continue
            ink, muted = text_colour(face), text_colour(face, muted=True)
            if wait:
                ax.text(cx, cy + 0.08, label, ha="center", va="center", fontsize=_FONT_SIZE,
                        linespacing=1.15, color=ink, zorder=3)
                ax.text(cx, cy - h / 2 + 0.07, wait, ha="center", va="bottom",
                        fontsize=_FONT_SIZE - 1.5, color=muted, zorder=3)
            else:
                ax.text(cx, cy, label, ha="center", va="center", fontsize=_FONT_SIZE,
                        linespacing=1.15, color=ink, zorder=3)

        label_style = dict(fontsize=_LABEL_SIZE, style="italic", color=_LABEL_COLOUR, zorder=5,
                           ha="center", va="center", linespacing=1.15,
                           bbox=dict(boxstyle=f"round,pad={pad * 72 / _LABEL_SIZE:.3f}",
                                     facecolor="white", edgecolor="none", alpha=0.92))
        for i, a in enumerate(chart.arrows):
            if i not in paths:
                continue
            verts, codes = paths[i]
            colour = _LOOP if i in loop_points else _LINE
            arrow = FancyArrowPatch(path=MplPath(verts, codes), arrowstyle="-|>",
                                    mutation_scale=11, color=colour, linewidth=1.1,
                                    zorder=1, shrinkA=0, shrinkB=0)
            arrow.set_gid(f"arrow:{i}")
            ax.add_patch(arrow)
            if a.label and i in label_at:
                text = ax.text(*label_at[i], a.label, **label_style)
                text.set_gid(f"label:{i}")
    return ax
