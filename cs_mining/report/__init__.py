"""Renderings of results: text for terminals, Markdown, HTML, JSON (+ its schema)."""

from .json import SCHEMA_PATH, SCHEMA_VERSION, to_jsonable

__all__ = ["SCHEMA_PATH", "SCHEMA_VERSION", "to_jsonable"]
