"""draw_flowchart: standard symbols, a readable layered layout, every script as text."""

from __future__ import annotations

import warnings
from collections import Counter

import matplotlib.pyplot as plt
import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch, Polygon

from cs_mining.flowchart.draw import back_edges, draw_flowchart, layout_flowchart
from cs_mining.flowchart.model import Arrow, Flowchart, Node


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def small_chart():
    return Flowchart(name="Phone request", nodes=[
        Node("s", "start", "Customer calls"),
        Node("answer", label="Answer call", wait_target_s=60),
        Node("solved", "decision", "Solved?"),
        Node("escalate", label="Escalate to engineer"),
        Node("close", label="Close case"),
        Node("e", "end", "Case closed"),
    ], arrows=[Arrow("s", "answer"), Arrow("answer", "solved"),
               Arrow("solved", "close", "yes"), Arrow("solved", "escalate", "no"),
               Arrow("escalate", "close"), Arrow("close", "e")])


def chart40():
    """40 steps: blocks of 3 steps, each closed by a decision that either skips a
    two-step fix, opens a parallel block (or escalates to a second end), or loops back."""
    nodes, arrows, prev, k, block = [Node("s", "start", "Customer writes in")], [], "s", 0, 0
    while k < 40:
        block += 1
        for _ in range(3):
            if k < 40:
                k += 1
                nodes.append(Node(f"t{k}", label=f"Step {k}: handle request part {k}",
                                  wait_target_s=60 * k if k % 4 == 0 else None))
                arrows.append(Arrow(prev, f"t{k}"))
                prev = f"t{k}"
        if k >= 40:
            break
        d = f"d{block}"
        nodes.append(Node(d, "decision", f"Check {block} passed?"))
        arrows.append(Arrow(prev, d))
        if block % 3 == 0:
            arrows.append(Arrow(d, f"t{k - 1}", "no, redo"))
            prev = d
        elif block % 3 == 1:
            a, b, m = f"t{k + 1}", f"t{k + 2}", f"m{block}"
            k += 2
            nodes += [Node(a, label=f"Step {k - 1}: fix it"),
                      Node(b, label=f"Step {k}: confirm fix with customer"), Node(m, "decision")]
            arrows += [Arrow(d, a, "no"), Arrow(a, b), Arrow(b, m), Arrow(d, m, "yes")]
            prev = m
        else:
            p, j, a, b = f"p{block}", f"j{block}", f"t{k + 1}", f"t{k + 2}"
            k += 2
            nodes += [Node(p, "parallel"), Node(a, label=f"Step {k - 1}: notify team"),
                      Node(b, label=f"Step {k}: update record"), Node(j, "parallel")]
            arrows += [Arrow(d, p, "yes"), Arrow(p, a), Arrow(p, b), Arrow(a, j), Arrow(b, j),
                       Arrow(d, "esc", "escalate")]
            prev = j
    nodes += [Node("esc", "end", "Escalated"), Node("e", "end", "Case closed")]
    arrows.append(Arrow(prev, "e"))
    return Flowchart(name="Forty-step e-mail complaint", nodes=nodes, arrows=arrows)


def node_boxes(ax):
    """Node id -> (x0, y0, x1, y1) in data coordinates, from the shapes' gids."""
    boxes = {}
    for patch in ax.patches:
        gid = patch.get_gid() or ""
        if gid.startswith("node:"):
            ext = patch.get_path().get_extents(patch.get_patch_transform())
            boxes[gid[5:]] = (ext.x0, ext.y0, ext.x1, ext.y1)
    return boxes


def test_small_chart_has_one_text_per_label_and_one_shape_per_node():
    chart = small_chart()
    ax = draw_flowchart(chart)
    assert Counter(t.get_text() for t in ax.texts) == Counter([
        "Customer calls", "Answer call", "≤ 1min", "Solved?", "Escalate to engineer",
        "Close case", "Case closed", "yes", "no"])
    shapes = Counter(type(p) for p in ax.patches)
    assert shapes[Ellipse] == 2
    assert shapes[FancyBboxPatch] == 3
    assert shapes[Polygon] == 1
    assert shapes[FancyArrowPatch] == len(chart.arrows) == 6
    assert set(node_boxes(ax)) == set(chart.nodes)
    assert ax.get_title() == "Phone request"


def test_branch_labels_sit_near_their_arrow():
    ax = draw_flowchart(small_chart())
    boxes = node_boxes(ax)
    yes = next(t for t in ax.texts if t.get_text() == "yes")
    x, y = yes.get_position()
    solved, close = boxes["solved"], boxes["close"]
    assert close[3] <= y <= solved[1]  # between the decision and its target, vertically


def test_gateways_are_small_marked_diamonds_without_their_ids():
    chart = Flowchart(name="Parallel", nodes=[
        Node("s", "start"), Node("split", "parallel"), Node("a", label="Inform customer"),
        Node("b", label="Investigate"), Node("join", "parallel"), Node("any", "inclusive"),
        Node("c", label="Send SMS"), Node("d", label="Send e-mail"), Node("done", "inclusive"),
        Node("e", "end")],
        arrows=[Arrow("s", "split"), Arrow("split", "a"), Arrow("split", "b"), Arrow("a", "join"),
                Arrow("b", "join"), Arrow("join", "any"), Arrow("any", "c"), Arrow("any", "d"),
                Arrow("c", "done"), Arrow("d", "done"), Arrow("done", "e")])
    ax = draw_flowchart(chart)
    assert sorted(t.get_text() for t in ax.texts) == sorted(
        ["s", "Inform customer", "Investigate", "Send SMS", "Send e-mail", "e"])
    markers = Counter(line.get_marker() for line in ax.lines if isinstance(line, Line2D))
    assert markers == {"+": 2, "o": 2}
    assert Counter(type(p) for p in ax.patches)[Polygon] == 4


def test_highlight_fills_the_named_steps():
    ax = draw_flowchart(small_chart(), highlight={"escalate": "#ff0000"})
    faces = {p.get_gid(): p.get_facecolor() for p in ax.patches if p.get_gid()}
    assert faces["node:escalate"][:3] == (1.0, 0.0, 0.0)
    assert faces["node:close"][:3] == (1.0, 1.0, 1.0)


def test_loops_come_back_on_the_right():
    chart = Flowchart(name="Loop", nodes=[
        Node("s", "start"), Node("a", label="Diagnose"), Node("b", label="Try fix"),
        Node("ok", "decision", "Fixed?"), Node("e", "end")],
        arrows=[Arrow("s", "a"), Arrow("a", "b"), Arrow("b", "ok"), Arrow("ok", "e", "yes"),
                Arrow("ok", "a", "no")])
    ax = draw_flowchart(chart)
    boxes = node_boxes(ax)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    rightmost_node = max(b[2] for b in boxes.values())
    rightmost_arrow = [max(v[0] for v in p.get_path().vertices) for p in arrows]
    assert sum(x > rightmost_node for x in rightmost_arrow) == 1


def test_back_edges_make_the_graph_acyclic():
    import networkx as nx

    g = nx.DiGraph([("s", "a"), ("a", "b"), ("b", "c"), ("c", "a"), ("c", "e"), ("b", "b")])
    found = back_edges(g, ["s"])
    assert sorted(found) == [("b", "b"), ("c", "a")]
    g.remove_edges_from(found)
    assert nx.is_directed_acyclic_graph(g)


def test_layers_follow_the_longest_path():
    chart = small_chart()
    lay = layout_flowchart(chart, {n: (1.0, 0.5) for n in chart.nodes})
    assert lay.layer == {"s": 0, "answer": 1, "solved": 2, "escalate": 3, "close": 4, "e": 5}
    assert lay.loops == []
    assert list(lay.routes[2]) == [lay.routes[2][0]]  # solved -> close spans one dummy layer


def test_forty_steps_draw_without_overlapping_nodes():
    chart = chart40()
    assert len(chart.steps) == 40
    ax = draw_flowchart(chart)
    boxes = list(node_boxes(ax).items())
    assert len(boxes) == len(chart.node_list)
    overlaps = [(a, b) for i, (a, p) in enumerate(boxes) for b, q in boxes[i + 1:]
                if p[0] < q[2] and q[0] < p[2] and p[1] < q[3] and q[1] < p[3]]
    assert overlaps == []
    assert sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == len(chart.arrows)
    small = draw_flowchart(small_chart())
    assert ax.figure.get_size_inches()[1] > 3 * small.figure.get_size_inches()[1]


def test_long_labels_are_wrapped():
    chart = Flowchart(name="x", nodes=[
        Node("s", "start"), Node("a", label="Open the customer's account and service history"),
        Node("e", "end")], arrows=[Arrow("s", "a"), Arrow("a", "e")])
    ax = draw_flowchart(chart)
    label = next(t for t in ax.texts if t.get_text().startswith("Open"))
    assert label.get_text().count("\n") >= 1
    assert label.get_text().replace("\n", " ") == chart.nodes["a"].label


def test_tamil_and_telugu_labels_draw_without_missing_glyphs(tmp_path):
    chart = Flowchart(name="Pieteikuma reģistrēšana", nodes=[
        Node("s", "start", "வாடிக்கையாளர் அழைப்பு"), Node("a", label="ఫిర్యాదు నమోదు"),
        Node("e", "end", "Pieteikuma reģistrēšana")], arrows=[Arrow("s", "a"), Arrow("a", "e")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = draw_flowchart(chart)
        ax.figure.canvas.draw()
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    from cs_mining.plots import save_figure

    svg = save_figure(ax, tmp_path / "chart.svg").read_text(encoding="utf-8")
    for label in ("வாடிக்கையாளர் அழைப்பு", "ఫిర్యాదు నమోదు", "Pieteikuma reģistrēšana"):
        assert f">{label}</text>" in svg


def test_draws_into_a_given_axes_without_resizing_its_figure():
    fig, ax = plt.subplots(figsize=(5, 4))
    assert draw_flowchart(small_chart(), ax, title="Mine") is ax
    assert fig.get_size_inches().tolist() == [5.0, 4.0]
    assert ax.get_title() == "Mine"
