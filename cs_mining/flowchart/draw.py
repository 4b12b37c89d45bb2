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

from collections import Counter
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from ._arrows import _flatten, _forward_path, _loop_paths, _ports, _rounded
from ._labels import _place_labels
from ._layout import _DUMMY_WIDTH, _assign_x, _assign_y, _is_dummy, _order_layers
from ._nodes import _GATEWAY, _WRAP, _node_size, _shown_label, _wrap
from .model import Flowchart, format_duration

__all__ = ["draw_flowchart", "layout_flowchart", "back_edges", "text_colour"]

_FONT_SIZE = 9.0
_LABEL_SIZE = _FONT_SIZE - 1
_GAP_Y = 0.42      # inches between layers, at least
_LINE = "#333333"
_FILL = {"start": "#e8f1fb", "end": "#e8f1fb", "step": "#ffffff", "decision": "#fff6dc",
         "parallel": "#fff6dc", "inclusive": "#fff6dc"}
_LOOP = "#b35c00"
_LABEL_COLOUR = "#1f4e79"
_DARK_TEXT, _LIGHT_TEXT = "#111111", "#ffffff"
_MUTED = {"dark": "#555555", "light": "#eeeeee"}


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
