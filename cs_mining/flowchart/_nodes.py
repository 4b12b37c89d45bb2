"""What does each node show, and how big is its shape?

Labels are wrapped to a number of visible characters per kind of node (marks
that join a glyph cluster take no column); gateways without a label of their
own show none; a shape's size follows from its kind and its measured text.
"""

from __future__ import annotations

import unicodedata

_WRAP = {"step": 22, "decision": 16, "start": 18, "end": 18, "parallel": 18, "inclusive": 18}
_GATEWAY = 0.42    # side of the small parallel / inclusive diamond


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
