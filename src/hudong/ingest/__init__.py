"""Ingest stage: read export files, map them onto the schema, validate, pseudonymise, redact, store.

from hudong.ingest import import_file
summary = import_file(ws, "interactions.csv", "generic-interactions")
print(summary)
"""

from __future__ import annotations

from hudong.ingest.importer import ImportProgress, ImportSummary, import_file
from hudong.ingest.mapping import Mapping, list_formats, load_mapping

__all__ = ["ImportProgress", "ImportSummary", "Mapping", "import_file", "list_formats", "load_mapping"]
