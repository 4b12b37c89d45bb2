"""cs_mining: how a customer-service process really runs, against its flowchart."""

from .load import LoadedLog, LoadReport, as_events, load_log
from .errors import (ConfigError, CsMiningError, CsMiningWarning, EngineError,
                     FlowchartError, LogError)

__version__ = "0.1.0"

__all__ = ["load_log", "as_events", "LoadedLog", "LoadReport", "CsMiningError", "LogError", "FlowchartError", "ConfigError", "EngineError",
           "CsMiningWarning"]
