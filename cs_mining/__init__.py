"""cs_mining: how a customer-service process really runs, against its flowchart."""

from .errors import (ConfigError, CsMiningError, CsMiningWarning, EngineError,
                     FlowchartError, LogError)

__version__ = "0.1.0"

__all__ = ["CsMiningError", "LogError", "FlowchartError", "ConfigError", "EngineError",
           "CsMiningWarning"]
