"""Storage: the unified schema and the workspace (DuckDB file + config + key)."""

from hudong.store.schema import SCHEMA_VERSION, TABLES
from hudong.store.workspace import ImportCounts, Workspace

__all__ = ["SCHEMA_VERSION", "TABLES", "ImportCounts", "Workspace"]
