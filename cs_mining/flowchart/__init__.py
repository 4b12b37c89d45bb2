"""The intended flowchart: model, formats, validation, graph, Petri net, drawing.

Examples
--------
>>> chart = read_flowchart("name: x\\nsteps: [{id: s, kind: start}, {id: a}, {id: e, kind: end}]\\n"
...                        "arrows: [s -> a -> e]")
>>> chart.first_steps()
{'a'}
"""

from .bpmn import read_bpmn
from .builder import FlowchartBuilder
from .model import (AcceptedDeviation, Arrow, Flowchart, Node, format_duration,
                    format_total, parse_duration)
from .petri import PetriNetModel
from .yaml import read_flowchart, write_flowchart

__all__ = ["Flowchart", "Node", "Arrow", "AcceptedDeviation", "parse_duration",
           "format_duration", "format_total", "read_flowchart", "write_flowchart", "FlowchartBuilder",
           "PetriNetModel", "read_bpmn"]
