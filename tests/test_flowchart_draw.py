"""draw_flowchart: standard symbols, a readable layered layout, every script as text."""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch, Polygon
from matplotlib.path import Path as MplPath

from cs_mining.flowchart import read_flowchart
from cs_mining.flowchart.draw import back_edges, draw_flowchart, layout_flowchart, text_colour
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


# --- Readable at first sight: labels, routes, loops, ordering, contrast -------------------

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
SAMPLE_CHARTS = sorted(p.name for p in SAMPLES.glob("*.yaml") if p.name != "batch.yaml")


def four_way_chart():
    return Flowchart(name="Four ways", nodes=[
        Node("s", "start", "Customer writes"),
        Node("d", "decision", "What does the customer want?"),
        Node("a", label="Send the refund"), Node("b", label="Replace the item"),
        Node("c", label="Repair at the workshop"), Node("x", label="Explain the warranty"),
        Node("e", "end", "Done")],
        arrows=[Arrow("s", "d"), Arrow("d", "a", "a refund of the price"),
                Arrow("d", "b", "a replacement item"), Arrow("d", "c", "a repair"),
                Arrow("d", "x", "information only"), Arrow("a", "e"), Arrow("b", "e"),
                Arrow("c", "e"), Arrow("x", "e")])


def drawn_arrows(ax):
    """Arrow index -> points along the drawn shaft (Bézier pieces finely sampled)."""
    found = {}
    for patch in ax.patches:
        gid = patch.get_gid() or ""
        if not gid.startswith("arrow:"):
            continue
        points = []
        for piece, code in patch.get_path().iter_bezier():
            if code == MplPath.MOVETO:
                if points:
                    break  # the arrowhead follows
                points.append(piece.control_points[0])
                continue
            points.extend(piece(np.linspace(0, 1, 61))[1:])
        found[int(gid[6:])] = np.array(points)
    return found


def segment_enters_box(p, q, box):
    """Liang-Barsky: does the segment p-q pass through the open box (x0, y0, x1, y1)?"""
    (x0, y0, x1, y1), t0, t1 = box, 0.0, 1.0
    d = q - p
    for num, den in ((p[0] - x0, -d[0]), (x1 - p[0], d[0]), (p[1] - y0, -d[1]),
                     (y1 - p[1], d[1])):
        if den == 0:
            if num <= 0:
                return False
            continue
        r = num / den
        if den < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
    return t0 < t1


def wcag_contrast(a, b):
    def luminance(colour):
        rgb = np.array(to_rgb(colour))
        rgb = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return rgb @ [0.2126, 0.7152, 0.0722]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("name", ["helpdesk.yaml", "four ways"])
def test_branch_labels_overlap_neither_each_other_nor_nodes(name):
    chart = four_way_chart() if name == "four ways" else read_flowchart(SAMPLES / name)
    ax = draw_flowchart(chart)
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    labels = {t.get_text(): t.get_window_extent(renderer) for t in ax.texts
              if (t.get_gid() or "").startswith("label:")}
    assert sorted(labels) == sorted(a.label for a in chart.arrows if a.label)
    boxes = list(labels.items())
    assert [(a, b) for k, (a, p) in enumerate(boxes) for b, q in boxes[k + 1:]
            if p.overlaps(q)] == []
    shapes = [p.get_window_extent(renderer) for p in ax.patches
              if (p.get_gid() or "").startswith("node:")]
    assert [a for a, p in boxes if any(p.overlaps(s) for s in shapes)] == []


def test_four_branch_labels_sit_on_their_own_arrow_near_the_decision():
    chart = four_way_chart()
    ax = draw_flowchart(chart)
    boxes, arrows = node_boxes(ax), drawn_arrows(ax)
    targets_top = min(boxes[n][3] for n in "abcx")
    seen = 0
    for text in ax.texts:
        gid = text.get_gid() or ""
        if not gid.startswith("label:"):
            continue
        x, y = text.get_position()
        own = arrows[int(gid[6:])]
        gap = np.hypot(own[:, 0] - x, own[:, 1] - y)
        assert gap.min() < 0.02, text.get_text()          # centred on its own arrow
        along = np.hypot(*np.diff(own[: gap.argmin() + 1], axis=0).T).sum()
        assert along < 1.5, text.get_text()               # inches from the decision
        assert targets_top < y < boxes["d"][3], text.get_text()
        seen += 1
    assert seen == 4


@pytest.mark.parametrize("name", [*SAMPLE_CHARTS, "chart40", "small"])
def test_arrows_pass_through_no_node_but_their_own_ends(name):
    chart = {"chart40": chart40, "small": small_chart}.get(
        name, lambda: read_flowchart(SAMPLES / name))()
    ax = draw_flowchart(chart)
    boxes, arrows = node_boxes(ax), drawn_arrows(ax)
    assert sorted(arrows) == list(range(len(chart.arrows)))
    hits = []
    for i, points in arrows.items():
        ends = {chart.arrows[i].source, chart.arrows[i].target}
        for node, (x0, y0, x1, y1) in boxes.items():
            inner = (x0 + 0.01, y0 + 0.01, x1 - 0.01, y1 - 0.01)
            if node not in ends and any(segment_enters_box(p, q, inner)
                                        for p, q in zip(points, points[1:])):
                hits.append((chart.arrows[i].source, chart.arrows[i].target, node))
    assert hits == []


@pytest.mark.parametrize("name", ["helpdesk.yaml", "order_out_of_stock.yaml", "chart40"])
def test_arrows_bend_gently_without_sharp_corners(name):
    chart = chart40() if name == "chart40" else read_flowchart(SAMPLES / name)
    ax = draw_flowchart(chart)
    for i, points in drawn_arrows(ax).items():
        steps = np.diff(points, axis=0)
        steps = steps[np.hypot(steps[:, 0], steps[:, 1]) > 1e-9]
        cos = np.sum(steps[1:] * steps[:-1], axis=1) / (
            np.hypot(*steps[1:].T) * np.hypot(*steps[:-1].T))
        turn = np.degrees(np.arccos(np.clip(cos, -1, 1))).max(initial=0.0)
        assert turn < 20, (chart.arrows[i], turn)   # a corner turns 45-90 degrees at once


def test_long_arrows_keep_a_straight_lane_of_their_own():
    chart = read_flowchart(SAMPLES / "helpdesk.yaml")
    lay = layout_flowchart(chart, {n: (1.2, 0.5) for n in chart.nodes})
    yes = next(i for i, a in enumerate(chart.arrows) if a.label == "yes")
    assert len(lay.routes[yes]) == 2           # route -> resolve skips two layers
    for i, route in lay.routes.items():
        assert len({round(x, 6) for x, _ in route}) <= 1, chart.arrows[i]
    lanes = [x for route in lay.routes.values() for x, _ in route]
    for n in chart.nodes:
        assert all(abs(x - lay.x[n]) >= 0.6 + 0.075 for x, y in
                   [p for route in lay.routes.values() for p in route]
                   if abs(y - lay.y[n]) < 0.25), n
    assert lanes


def test_siblings_are_ordered_to_avoid_crossings_with_the_loop_outside():
    chart = read_flowchart(SAMPLES / "helpdesk.yaml")
    lay = layout_flowchart(chart, {n: (1.2, 0.5) for n in chart.nodes})
    # Wait loops back to "Take in charge": its side exit is on the right, so it
    # goes right of its siblings, and nothing is in its way.
    assert lay.x["wait"] > max(lay.x["upgrade"], lay.x["anomaly"])
    assert lay.order[lay.layer["wait"]][-1] == "wait"
    pieces = [(lay.layer[chain[0]] + k, lay.xs[u], lay.xs[v])
              for chain in lay.chains.values() for k, (u, v) in enumerate(zip(chain, chain[1:]))]
    crossing = [(p, q) for k, p in enumerate(pieces) for q in pieces[k + 1:]
                if p[0] == q[0] and (p[1] - q[1]) * (p[2] - q[2]) < -1e-9]
    assert crossing == []


def test_loops_leave_and_enter_at_the_side_on_an_outer_lane():
    chart = read_flowchart(SAMPLES / "helpdesk.yaml")
    ax = draw_flowchart(chart)
    boxes = node_boxes(ax)
    loop = next(i for i, a in enumerate(chart.arrows) if (a.source, a.target) == ("wait", "take"))
    points = drawn_arrows(ax)[loop]
    wait, take = boxes["wait"], boxes["take"]
    assert points[0] == pytest.approx([wait[2], (wait[1] + wait[3]) / 2], abs=0.02)
    assert points[-1][1] == pytest.approx((take[1] + take[3]) / 2, abs=0.02)
    assert take[2] <= points[-1][0] < take[2] + 0.2      # the arrowhead touches the right side
    spanned = [b for b in boxes.values() if b[3] > wait[1] and b[1] < take[3]]
    assert points[:, 0].max() > max(b[2] for b in spanned)


@pytest.mark.parametrize("fill", ["#fee0d2", "#fcbba1", "#fb6a4a", "#ef3b2c", "#cb181d",
                                  "#a50f15", "#67000d", "#000000", "#ffff00", "#1f4e79"])
def test_text_on_highlighted_nodes_keeps_a_contrast_of_4_5(fill):
    chart = small_chart()
    ax = draw_flowchart(chart, highlight={n: fill for n in ("s", "answer", "solved")})
    boxes = node_boxes(ax)
    checked = 0
    for text in ax.texts:
        x, y = text.get_position()
        for node in ("s", "answer", "solved"):
            x0, y0, x1, y1 = boxes[node]
            if x0 < x < x1 and y0 < y < y1:
                assert wcag_contrast(text.get_color(), fill) >= 4.5, (text.get_text(), fill)
                checked += 1
    assert checked == 4   # "Customer calls", "Answer call", "≤ 1min", "Solved?"


def test_text_colour_picks_white_on_dark_and_black_on_light():
    assert text_colour("#67000d") == "#ffffff"
    assert text_colour("#fff6dc") == "#111111"
    assert wcag_contrast(text_colour("#cb181d", muted=True), "#cb181d") >= 4.5
