"""Declarative mappings (TOML): which reader options, which target tables, and where each column comes from.

See docs/mapping.md for the full reference. A mapping is validated against ``hudong.store.schema`` when it
is loaded, so a typo in a table or column name fails at once with the name of the mapping file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from hudong import plugins
from hudong.errors import HudongError
from hudong.ingest import parsers as P
from hudong.ingest.readers import ReaderOptions
from hudong.store import schema as S

_TOP_KEYS = {"name", "description", "platform", "reader", "options", "fields", "targets"}
_READER_KEYS = {"format", "delimiter", "encoding", "records", "sheet", "skip_rows", "quote", "staff"}
_OPTION_KEYS = {"timezone", "year_group", "reference_time"}
_TARGET_KEYS = {"table", "when", "duplicates", "columns"}
_SPEC_KEYS = {"field", "value", "default", "parse", "map", "extract", "template", "required", "derive"}
_DERIVE = {"hash", "digest"}  # hash: a column's fallback id from the row; digest: a derived field's keyed digest
_DUPLICATES = {"quarantine", "keep-last"}


@dataclass
class Spec:
    """Where one value comes from. Exactly one of field / value / template / derive is the source."""

    fields: list[str] = field(default_factory=list)  # first non-empty wins (coalesce)
    value: Any = None  # a constant
    default: Any = None  # used when the source is empty
    parse: str | None = None  # parser name; default from the column type
    map: dict[str, Any] | None = None  # replace source values (e.g. "f" → "female"); key "*" = any other value
    extract: str | None = None  # regex with one group applied to the source text
    template: str | None = None  # "https://x/{field}/{other}": fields joined into text
    required: bool | None = None  # must the source field exist in the file? default: column NOT NULL
    derive: str | None = None  # "hash": a content hash of the row's other columns when the source is empty;
    # "digest" ([fields] only): the keyed digest of the value, for ids built from personal fields

    def template_fields(self) -> list[str]:
        return re.findall(r"\{([^{}]+)\}", self.template or "")

    def sources(self) -> list[str]:
        return self.fields + self.template_fields()


@dataclass
class Target:
    table: str
    columns: dict[str, Spec]
    when: str | None = None  # only rows where this field is non-empty feed the table
    duplicates: str = "quarantine"  # duplicate keys with different content: quarantine the earlier row, or keep-last


@dataclass
class Mapping:
    name: str
    description: str
    platform: str | None
    reader: ReaderOptions
    targets: list[Target]
    fields: dict[str, Spec] = field(default_factory=dict)  # derived fields, usable like file fields
    timezone: str | None = None
    year_group: str | None = None
    reference_time: str | None = None
    path: Path | None = None

    @property
    def primary(self) -> Target:
        return self.targets[0]


def mappings_dir() -> Path:
    return Path(str(resources.files("hudong.ingest") / "mappings"))


GENERIC_PREFIX = "generic-"


def builtin_files() -> dict[str, Path]:
    """The mapping files shipped with hudong, by format name."""
    return {p.stem: p for p in mappings_dir().glob("*.toml")}


def format_files() -> dict[str, Path]:
    """Every named mapping file: hudong's and those plugins add (entry point group ``hudong.formats``; a plugin
    cannot replace a built-in format)."""
    own = builtin_files()
    return {**{k: v for k, v in plugins.format_files().items() if k not in own}, **own}


def list_formats() -> list[str]:
    """Names of the import formats (``hudong import --as NAME``): built in, generic, and plugins'."""
    generic = [GENERIC_PREFIX + t for t in S.FACT_TABLES]
    return sorted(generic + list(format_files()))


def generic_mapping(table_name: str) -> dict[str, Any]:
    """The ``generic-<table>`` mapping, derived from the schema: input columns carry the schema's names.

    Only key and NOT NULL columns must be present; absent optional columns are stored as null; lists may be
    JSON arrays or comma-separated text. Where a source has no interaction id, one is derived from the content.
    """
    table = S.TABLES[table_name]
    columns: dict[str, Any] = {c.name: c.name for c in table.columns}
    if table_name == "interactions":
        columns["interaction_id"] = {"field": "interaction_id", "derive": "hash"}
    return {
        "name": GENERIC_PREFIX + table_name,
        "description": f"{table.en} — one row per record, columns named exactly like the schema (any file type)",
        "reader": {"format": "auto"},
        "targets": [{"table": table_name, "columns": columns}],
    }


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A built-in mapping by name, or a user's mapping file by path; validated against the schema."""
    p = Path(name_or_path)
    if isinstance(name_or_path, str) and name_or_path.startswith(GENERIC_PREFIX) and not p.exists():
        table = name_or_path.removeprefix(GENERIC_PREFIX)
        if table in S.FACT_TABLES:
            return parse_mapping(generic_mapping(table), name_or_path)
    named = format_files().get(str(name_or_path)) if isinstance(name_or_path, str) else None
    if named is not None and not (p.suffix == ".toml" and p.exists()):
        p = named
    elif not (p.suffix == ".toml" and p.exists()):
        raise HudongError(f"unknown format {str(name_or_path)!r}; formats: {', '.join(list_formats())}")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise HudongError(f"{p}: invalid TOML: {e}") from None
    return parse_mapping(data, p)


def _err(where: Path | str, msg: str) -> HudongError:
    return HudongError(f"{where}: {msg}")


def _spec(raw: Any, where: str) -> Spec:
    if isinstance(raw, str):
        return Spec(fields=[raw])
    if not isinstance(raw, dict):
        raise HudongError(f'{where}: expected a field name or a table like {{ field = "..." }}')
    unknown = set(raw) - _SPEC_KEYS
    if unknown:
        raise HudongError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_SPEC_KEYS))}"
        )
    fields = raw.get("field", [])
    fields = [fields] if isinstance(fields, str) else list(fields)
    spec = Spec(
        fields=fields,
        value=raw.get("value"),
        default=raw.get("default"),
        parse=raw.get("parse"),
        map=raw.get("map"),
        extract=raw.get("extract"),
        template=raw.get("template"),
        required=raw.get("required"),
        derive=raw.get("derive"),
    )
    sources = sum(x is not None and x != [] for x in (spec.fields, spec.value, spec.template, spec.derive))
    if spec.derive is not None and (spec.fields or spec.derive == "digest"):
        sources -= 1  # hash is the fallback when the field is empty; digest transforms the value
    if sources != 1:
        raise HudongError(f"{where}: give exactly one of field, value, template (derive may accompany field)")
    if spec.derive is not None and spec.derive not in _DERIVE:
        raise HudongError(f"{where}: derive must be one of {', '.join(sorted(_DERIVE))}")
    if spec.extract is not None:
        try:
            if re.compile(spec.extract).groups != 1:
                raise HudongError(f"{where}: extract needs exactly one (group) in its regex")
        except re.error as e:
            raise HudongError(f"{where}: bad extract regex: {e}") from None
    if spec.parse is not None and spec.parse not in P.COLUMN_PARSERS:
        raise HudongError(f"{where}: unknown parser {spec.parse!r}; parsers: {', '.join(P.COLUMN_PARSERS)}")
    return spec


def parse_mapping(data: dict[str, Any], path: Path | str = "<mapping>") -> Mapping:
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _err(path, f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_TOP_KEYS))}")
    reader = data.get("reader", {})
    if set(reader) - _READER_KEYS:
        raise _err(path, f"[reader] unknown key(s) {', '.join(sorted(set(reader) - _READER_KEYS))}")
    options = data.get("options", {})
    if set(options) - _OPTION_KEYS:
        raise _err(path, f"[options] unknown key(s) {', '.join(sorted(set(options) - _OPTION_KEYS))}")
    platform = data.get("platform")
    if platform is not None and platform not in S.PLATFORMS:
        raise _err(path, f"platform {platform!r} is not one of {', '.join(S.PLATFORMS)}")
    derived = {k: _spec(v, f"{path}: [fields.{k}]") for k, v in data.get("fields", {}).items()}
    for k, spec in derived.items():
        if spec.parse is not None or spec.derive not in (None, "digest"):
            raise _err(path, f"[fields.{k}]: derived fields take no parse and no derive but digest; parse where "
                             "the column is mapped")
    targets_raw = data.get("targets")
    if not targets_raw or not isinstance(targets_raw, list):
        raise _err(path, "no [[targets]]: say which table(s) each input row feeds")
    targets: list[Target] = []
    for i, t in enumerate(targets_raw):
        if set(t) - _TARGET_KEYS:
            raise _err(path, f"[[targets]] #{i + 1}: unknown key(s) {', '.join(sorted(set(t) - _TARGET_KEYS))}")
        table_name = t.get("table")
        if table_name not in S.FACT_TABLES:
            raise _err(path, f"unknown table {table_name!r}; tables: {', '.join(S.FACT_TABLES)}")
        table = S.TABLES[table_name]
        duplicates = t.get("duplicates", "quarantine" if i == 0 else "keep-last")
        if duplicates not in _DUPLICATES:
            raise _err(path, f"{table_name}: duplicates must be one of {', '.join(sorted(_DUPLICATES))}")
        provenance = {c.name for c in S.PROVENANCE}
        columns: dict[str, Spec] = {}
        for col, raw in t.get("columns", {}).items():
            where = f"{path}: {table_name}.{col}"
            if col in provenance:
                raise HudongError(f"{where}: provenance columns are filled by the importer")
            try:
                column = table.column(col)
            except KeyError:
                names = ", ".join(c.name for c in table.columns)
                raise HudongError(f"{where}: table {table_name!r} has no column {col!r}; columns: {names}") from None
            spec = _spec(raw, where)
            parser = spec.parse or P.DEFAULT_PARSER[column.type]
            if column.type not in P.PARSER_TYPES[P.COLUMN_PARSERS[parser]]:
                raise HudongError(f"{where}: parser {parser!r} cannot fill a {column.type} column")
            if spec.derive == "digest":
                raise HudongError(f'{where}: derive = "digest" is for [fields] (derive ids there, map them here)')
            if spec.derive and table_name != "interactions" and col not in table.key:
                raise HudongError(f'{where}: derive = "hash" is for key columns')
            columns[col] = spec
        if platform is not None:
            if "platform" in columns and columns["platform"].value not in (None, platform):
                raise _err(path, f"{table_name}.platform contradicts platform = {platform!r}")
            columns.setdefault("platform", Spec(value=platform))
        missing = [c.name for c in table.columns if not c.nullable and c.name not in columns]
        if missing:
            raise _err(path, f"{table_name}: required column(s) not mapped: {', '.join(missing)}")
        targets.append(Target(table_name, columns, when=t.get("when"), duplicates=duplicates))
    return Mapping(
        name=data.get("name") or Path(str(path)).stem,
        description=data.get("description", ""),
        platform=platform,
        reader=ReaderOptions(**reader),
        targets=targets,
        fields=derived,
        timezone=options.get("timezone"),
        year_group=options.get("year_group"),
        reference_time=options.get("reference_time"),
        path=Path(str(path)),
    )
