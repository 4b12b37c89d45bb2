"""Draw a flowchart with matplotlib, in the standard symbols, top to bottom.

Ovals are start and end, boxes are steps (with their wait target under the
label), diamonds are decisions, and small diamonds marked ``+`` and ``o`` are
parallel and inclusive gateways.  The layout needs only networkx: nodes are
put in layers along the longest path from the start (loops set aside), the
order inside each layer is chosen to reduce crossings (barycentre sweeps), and
loops come back as curved arrows on the right-hand side.

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
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .model import Flowchart, format_duration

__all__ = ["draw_flowchart", "layout_flowchart", "back_edges"]

_WRAP = {"step": 22, "decision": 16, "start": 18, "end": 18, "parallel": 18, "inclusive": 18}
_FONT_SIZE = 9.0
_GAP_X = 0.35      # inches between neighbouring nodes of a layer
_GAP_Y = 0.38      # inches between layers
_DUMMY_WIDTH = 0.15
_GATEWAY = 0.42    # side of the small parallel / inclusive diamond
_LINE = "#333333"
_FILL = {"start": "#e8f1fb", "end": "#e8f1fb", "step": "#ffffff", "decision": "#fff6dc",
         "parallel": "#fff6dc", "inclusive": "#fff6dc"}
_LOOP = "#b35c00"


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


@dataclass
class Layout:
    """Where each node goes, in inches (y grows upwards; layers go down)."""

    x: dict = field(default_factory=dict)
    y: dict = field(default_factory=dict)
    width: dict = field(default_factory=dict)
    height: dict = field(default_factory=dict)
    layer: dict = field(default_factory=dict)
    routes: dict = field(default_factory=dict)     # forward arrow index -> bend points
    loops: list = field(default_factory=list)      # arrow indexes drawn on the side


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


def _order_layers(layers: list[list], up: dict, down: dict) -> list[list]:
    """Barycentre sweeps; keeps the ordering with the fewest crossings."""

    def crossings(order):
        total = 0
        for upper, lower in zip(order, order[1:]):
            pos = {n: i for i, n in enumerate(lower)}
            edges = [(i, pos[c]) for i, n in enumerate(upper) for c in down[n] if c in pos]
            total += sum(1 for a in range(len(edges)) for b in range(a + 1, len(edges))
                         if (edges[a][0] - edges[b][0]) * (edges[a][1] - edges[b][1]) < 0)
        return total

    best, best_count = [list(l) for l in layers], crossings(layers)
    order = [list(l) for l in layers]
    for sweep in range(12):
        downward = sweep % 2 == 0
        indexes = range(1, len(order)) if downward else range(len(order) - 2, -1, -1)
        for i in indexes:
            ref = order[i - 1] if downward else order[i + 1]
            pos = {n: k for k, n in enumerate(ref)}
            links = up if downward else down
            def key(item):
                k, n = item
                near = [pos[m] for m in links[n] if m in pos]
                return (sum(near) / len(near)) if near else k
            order[i] = [n for _, n in sorted(enumerate(order[i]), key=key)]
        count = crossings(order)
        if count < best_count:
            best, best_count = [list(l) for l in order], count
    return best


def _place(desired: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Positions closest to ``desired`` (least squares) keeping order and minimum gaps.

    Pool-adjacent-violators on ``desired - cumulative gap``.
    """
    offset = np.concatenate([[0.0], np.cumsum(gaps)])
    target = desired - offset
    blocks: list[list[float]] = []  # [mean, count]
    for value in target:
        blocks.append([value, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, c2 = blocks.pop()
            v1, c1 = blocks.pop()
            blocks.append([(v1 * c1 + v2 * c2) / (c1 + c2), c1 + c2])
    fitted = np.concatenate([[v] * c for v, c in blocks])
    return fitted + offset


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

    # Dummy nodes carry arrows that span several layers.
    up: dict = {n: [] for n in chart.nodes}
    down: dict = {n: [] for n in chart.nodes}
    chains: dict = {}
    for i in valid:
        a = chart.arrows[i]
        if (a.source, a.target) in back:
            lay.loops.append(i)
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
        chains[i] = chain

    depth = max(layer.values(), default=-1) + 1
    first_seen = {n: k for k, n in enumerate(
        nx.dfs_preorder_nodes(dag, roots[0]) if roots else [])}
    written = {n.id: k for k, n in enumerate(chart.node_list)}

    def initial_key(n):
        if isinstance(n, tuple):
            return (first_seen.get(chart.arrows[n[1]].source, len(written)), n[1])
        return (first_seen.get(n, len(written) + written[n]), -1)

    layers = [sorted([n for n in layer if layer[n] == lv], key=initial_key)
              for lv in range(depth)]
    layers = _order_layers(layers, up, down)

    def width(n):
        return _DUMMY_WIDTH if isinstance(n, tuple) else sizes[n][0]

    def height(n):
        return 0.0 if isinstance(n, tuple) else sizes[n][1]

    x: dict = {}
    for row in layers:
        widths = np.array([width(n) for n in row])
        gaps = (widths[:-1] + widths[1:]) / 2 + _GAP_X
        pos = np.concatenate([[0.0], np.cumsum(gaps)])
        for n, p in zip(row, pos - pos[-1] / 2 if len(pos) else pos):
            x[n] = float(p)
    for sweep in range(8):
        downward = sweep % 2 == 0
        indexes = range(1, depth) if downward else range(depth - 2, -1, -1)
        for lv in indexes:
            row = layers[lv]
            links = up if downward else down
            # Align on real neighbours when there are some, so that main paths
            # stay straight and long arrows bend around them.
            desired = []
            for n in row:
                near = [m for m in links[n] if not isinstance(m, tuple)] or links[n]
                desired.append(np.mean([x[m] for m in near]) if near else x[n])
            desired = np.array(desired)
            widths = np.array([width(n) for n in row])
            gaps = (widths[:-1] + widths[1:]) / 2 + _GAP_X
            for n, p in zip(row, _place(desired, gaps)):
                x[n] = float(p)

    labelled = {layer[chart.arrows[i].source] for i in valid
                if chart.arrows[i].label and i not in lay.loops}
    y, top = {}, 0.0
    for level, row in enumerate(layers):
        row_height = max((height(n) for n in row), default=0.0)
        for n in row:
            y[n] = top - row_height / 2
        top -= row_height + _GAP_Y + (0.2 if level in labelled else 0.0)

    for n in chart.nodes:
        lay.x[n], lay.y[n] = x[n], y[n]
        lay.width[n], lay.height[n] = sizes[n]
    for i, chain in chains.items():
        lay.routes[i] = [(x[d], y[d]) for d in chain[1:-1]]
    return lay


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

    Returns
    -------
    matplotlib.axes.Axes
        One text per shown label: node labels (gateways without a label of their
        own show none), wait targets (``≤ 60s``) and branch labels.  Each node's
        shape has ``gid`` ``node:<id>``.

    Examples
    --------
    >>> from cs_mining.flowchart.model import Arrow, Flowchart, Node
    >>> chart = Flowchart(name="Phone", nodes=[
    ...     Node("s", "start", "Call"), Node("a", label="Answer", wait_target_s=60),
    ...     Node("d", "decision", "Solved?"), Node("e", "end", "Done")],
    ...     arrows=[Arrow("s", "a"), Arrow("a", "d"), Arrow("d", "e", "yes"),
    ...             Arrow("d", "a", "no")])
    >>> ax = draw_flowchart(chart, highlight={"a": "#f4a6a6"})
    >>> sorted(t.get_text() for t in ax.texts)
    ['Answer', 'Call', 'Done', 'Solved?', 'no', 'yes', '≤ 1min']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch, Polygon
    from matplotlib.path import Path as MplPath
    from matplotlib.figure import Figure

    from .. import plots

    highlight = dict(highlight or {})
    with plots.plot_style():
        # Measure labels off-screen at 72 dpi (1 pixel = 1 point), with the real fonts.
        renderer, scratch = RendererAgg(10, 10, 72), Figure(dpi=72)

        def measure(text, size):
            if not text:
                return 0.0, 0.0
            box = scratch.text(0, 0, text, fontsize=size,
                               linespacing=1.15).get_window_extent(renderer)
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

        lefts = [lay.x[n] - lay.width[n] / 2 for n in chart.nodes]
        rights = [lay.x[n] + lay.width[n] / 2 for n in chart.nodes]
        for route in lay.routes.values():
            rights += [p[0] for p in route]
            lefts += [p[0] for p in route]
        bottoms = [lay.y[n] - lay.height[n] / 2 for n in chart.nodes]
        x0, x1 = min(lefts, default=0.0), max(rights, default=1.0)
        y0, y1 = min(bottoms, default=-1.0), 0.0

        # Loops on the right, one lane each where their spans overlap.
        lanes: list[list[tuple[float, float]]] = []
        loop_x = {}
        for i in sorted(lay.loops, key=lambda i: abs(lay.y[chart.arrows[i].source]
                                                      - lay.y[chart.arrows[i].target])):
            a = chart.arrows[i]
            lo, hi = sorted((lay.y[a.source], lay.y[a.target]))
            span_right = max(lay.x[n] + lay.width[n] / 2 for n in chart.nodes
                             if lo - 1e-9 <= lay.y[n] <= hi + 1e-9)
            for k, lane in enumerate(lanes):
                if all(hi < l or lo > h for l, h in lane):
                    lane.append((lo, hi))
                    break
            else:
                k = len(lanes)
                lanes.append([(lo, hi)])
            loop_x[i] = span_right + 0.35 + 0.3 * k
        x1 = max([x1, *[v + 0.5 for v in loop_x.values()]])

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
                ax.plot([cx], [cy], marker=marker, markersize=9, color=_LINE,
                        markerfacecolor="none", markeredgewidth=1.6, zorder=3)
                if label:
                    ax.text(cx + w / 2 + 0.08, cy, label, ha="left", va="center",
                            fontsize=_FONT_SIZE - 1, color="#555555", zorder=3)
                continue
            if wait:
                ax.text(cx, cy + 0.08, label, ha="center", va="center", fontsize=_FONT_SIZE,
                        linespacing=1.15, zorder=3)
                ax.text(cx, cy - h / 2 + 0.07, wait, ha="center", va="bottom",
                        fontsize=_FONT_SIZE - 1.5, color="#555555", zorder=3)
            else:
                ax.text(cx, cy, label, ha="center", va="center", fontsize=_FONT_SIZE,
                        linespacing=1.15, zorder=3)

        label_style = dict(fontsize=_FONT_SIZE - 1, style="italic", color="#1f4e79", zorder=5,
                           bbox=dict(boxstyle="round,pad=0.12", facecolor="white",
                                     edgecolor="none", alpha=0.9))
        for i, a in enumerate(chart.arrows):
            if a.source not in lay.x or a.target not in lay.x:
                continue
            sx, sy = lay.x[a.source], lay.y[a.source]
            tx, ty = lay.x[a.target], lay.y[a.target]
            if i in loop_x:
                lx = loop_x[i]
                start = (sx + lay.width[a.source] / 2, sy)
                end = (tx + lay.width[a.target] / 2, ty)
                if a.source == a.target:
                    start = (sx + lay.width[a.source] / 2, sy - lay.height[a.source] / 4)
                    end = (tx + lay.width[a.target] / 2, ty + lay.height[a.target] / 4)
                path = MplPath([start, (lx, start[1]), (lx, end[1]), end],
                               [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4])
                ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=11,
                                             color=_LOOP, linewidth=1.1, zorder=1))
                if a.label:
                    ax.text(lx - 0.12, (start[1] + end[1]) / 2, a.label, ha="center",
                            va="center", **label_style)
                continue
            start = (sx, sy - lay.height[a.source] / 2)
            end = (tx, ty + lay.height[a.target] / 2)
            points = [start, *lay.routes.get(i, []), end]
            codes = [MplPath.MOVETO] + [MplPath.LINETO] * (len(points) - 1)
            ax.add_patch(FancyArrowPatch(path=MplPath(points, codes), arrowstyle="-|>",
                                         mutation_scale=11, color=_LINE, linewidth=1.0,
                                         zorder=1, shrinkA=0, shrinkB=0))
            if a.label:
                # Beside the arrow, extending away from it, so sibling branch labels
                # of one decision spread apart instead of colliding.
                (px, py), (qx, qy) = points[0], points[1]
                lx, ly = px + (qx - px) * 0.5, py + (qy - py) * 0.5
                leftward = qx - px < -0.05
                ax.text(lx - 0.06 if leftward else lx + 0.06, ly, a.label,
                        ha="right" if leftward else "left", va="center", **label_style)
    return ax
