"""cs_mining: how a customer-service process really runs, against its flowchart.

The stages, top to bottom: ``load`` (read and validate event logs),
``flowchart`` (the intended process), ``discover`` (the actual flow),
``compare`` (deviations and conformance), ``bottlenecks`` (waits against time
targets), ``simulate`` (logs with planted truth), and the presentation layers
``report``, ``plots``, ``batch`` and ``cli``.

>>> import cs_mining
>>> log = cs_mining.load_log("sample_logs/helpdesk.csv")  # doctest: +SKIP
>>> "compare" in cs_mining.__all__ and "load_log" in cs_mining.__all__
True
"""

from .batch import BatchConfig, BatchRun, read_batch_config, run_batch
from .bottlenecks import Bottlenecks, Workload, bottlenecks, workload
from .calendar import Calendar
from .compare import Comparison, compare
from .discover import Flow, discover
from .improve import improvement_areas
from .errors import (ConfigError, CsMiningError, CsMiningWarning, EngineError,
                     FlowchartError, LogError)
from .flowchart import (AcceptedDeviation, Arrow, Flowchart, FlowchartBuilder, Node,
                        PetriNetModel, read_flowchart, write_flowchart)
from .load import LoadedLog, LoadReport, as_events, load_log
from .simulate import GroundTruth, SimulatedLog, simulate

__version__ = "0.1.0"

__all__ = [
    "load_log", "as_events", "LoadedLog", "LoadReport",
    "read_flowchart", "write_flowchart", "Flowchart", "FlowchartBuilder", "Node", "Arrow",
    "AcceptedDeviation", "PetriNetModel",
    "discover", "Flow",
    "compare", "Comparison", "improvement_areas",
    "bottlenecks", "Bottlenecks", "workload", "Workload", "Calendar",
    "simulate", "SimulatedLog", "GroundTruth",
    "read_batch_config", "run_batch", "BatchConfig", "BatchRun",
    "CsMiningError", "LogError", "FlowchartError", "ConfigError", "EngineError",
    "CsMiningWarning",
]
