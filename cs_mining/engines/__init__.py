"""Engines build the two tables every analysis reads: variants and transitions.

Each engine module exposes one function, ``build_tables(events) -> Tables``.
Everything downstream reads :class:`Tables` and never imports an engine.
"""

from .pandas import Tables, build_tables

__all__ = ["Tables", "build_tables"]
