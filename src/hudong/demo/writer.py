"""Writing export files with pyarrow: CSV (lists as JSON arrays, ISO timestamps) or Parquet."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def write(table: pa.Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pq.write_table(table, path, compression="zstd")
    elif path.suffix == ".csv":
        # timestamp[s] is written as "YYYY-MM-DD HH:MM:SS"; nulls as empty fields; booleans as true/false
        pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(batch_size=65_536))
    else:
        raise ValueError(f"unsupported export format: {path.suffix}")
    return path
