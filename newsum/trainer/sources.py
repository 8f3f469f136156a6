"""Where article/summary pairs come from: files, the dataset hub, the newsroom database.

Each loader returns raw :class:`~newsum.trainer.data.Pair` objects (not yet cleaned) and
raises :class:`~newsum.errors.DataInvalid` or :class:`~newsum.errors.DataSourceUnavailable`
with the file (and line) or the source named.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select

from newsum.config import Settings
from newsum.errors import DataInvalid, DataSourceUnavailable
from newsum.record_files import UnreadableFile, json_lines, read_utf8
from newsum.trainer.data import Pair
from newsum.trainer.facts import FactRecord

FILE_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")


@dataclass(frozen=True)
class ColumnMapping:
    """Which input columns hold each field. Id and title are optional in the input."""

    article: str = "article"
    summary: str = "summary"
    id: str = "id"
    title: str = "title"
    language: str = "language"
    facts: str = "facts"  # an optional fact record per article (see newsum.trainer.facts)


def _pair(record: Mapping[str, Any], mapping: ColumnMapping) -> Pair:
    """One record as a Pair; a missing id becomes a hash of the article text."""
    article = record.get(mapping.article)
    summary = record.get(mapping.summary)
    article = "" if article is None else str(article)
    raw_id = record.get(mapping.id)
    if raw_id is None or raw_id == "":
        raw_id = hashlib.sha256(article.encode("utf-8")).hexdigest()[:16]
    title = record.get(mapping.title)
    language = record.get(mapping.language)
    facts = record.get(mapping.facts)
    return Pair(
        id=str(raw_id),
        title="" if title is None else str(title),
        article=article,
        summary="" if summary is None else str(summary),
        language=None if language in (None, "") else str(language),
        facts=_facts(facts),
    )


def _facts(value: Any) -> FactRecord | None:
    """A record's fact record: absent, a JSON object, or (CSV, Parquet) its JSON text."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, Mapping):
        raise ValueError(f"facts must be an object, got {value!r}")
    return FactRecord.from_dict(value)


def _require_columns(path: Path, columns: list[str], mapping: ColumnMapping) -> None:
    missing = [name for name in (mapping.article, mapping.summary) if name not in columns]
    if missing:
        raise DataInvalid(
            f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(columns)});"
            " name the right ones with --article-column / --summary-column"
        )


def _decode(path: Path) -> str:
    try:
        return read_utf8(path)
    except UnreadableFile as exc:
        hint = "; re-save the file as UTF-8" if "UTF-8" in str(exc) else ""
        raise DataInvalid(f"{path}: {exc}{hint}") from exc


def _jsonl_records(path: Path, text: str, mapping: ColumnMapping) -> Iterator[dict[str, Any]]:
    for number, record in json_lines(text):
        if isinstance(record, str):
            raise DataInvalid(f"{path}: line {number}: {record}")
        missing = [c for c in (mapping.article, mapping.summary) if c not in record]
        if missing:
            raise DataInvalid(
                f"{path}: line {number}: missing field(s) {', '.join(missing)};"
                " name the right ones with --article-column / --summary-column"
            )
        yield record


def _csv_records(path: Path, text: str, mapping: ColumnMapping) -> Iterator[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    _require_columns(path, list(reader.fieldnames or []), mapping)
    yield from reader


def _parquet_records(path: Path, mapping: ColumnMapping) -> list[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataInvalid(f"{path}: not a readable Parquet file: {exc}") from exc
    _require_columns(path, table.column_names, mapping)
    if table.num_rows == 0:
        raise DataInvalid(f"{path}: the file has no rows")
    return table.to_pylist()


def load_pairs_from_file(path: Path, mapping: ColumnMapping | None = None) -> list[Pair]:
    """Pairs from a JSONL, CSV or Parquet file (by suffix), columns per ``mapping``.

    Raises DataInvalid naming the file (and line) for a missing file or column, an empty
    file, malformed JSON or text that is not UTF-8.
    """
    mapping = mapping or ColumnMapping()
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise DataInvalid(f"{path}: unknown file type; use one of {', '.join(FILE_SUFFIXES)}")
    if not path.is_file():
        raise DataInvalid(f"{path}: no such file")
    if suffix == ".parquet":
        records: Any = _parquet_records(path, mapping)
    elif suffix == ".csv":
        records = _csv_records(path, _decode(path), mapping)
    else:
        records = _jsonl_records(path, _decode(path), mapping)
    pairs = []
    for number, record in enumerate(records, start=1):
        try:
            pairs.append(_pair(record, mapping))
        except ValueError as exc:  # a malformed fact record
            raise DataInvalid(f"{path}: record {number}: {exc}") from exc
    if not pairs:
        raise DataInvalid(f"{path}: no records in the file")
    return pairs


def load_pairs_from_hub(
    name: str,
    mapping: ColumnMapping,
    *,
    config: str | None = None,
    split: str = "train",
) -> list[Pair]:
    """Pairs from a dataset on the Hugging Face hub (needs internet), e.g.
    ``cnn_dailymail`` config ``3.0.0`` with article/highlights columns.

    Raises DataSourceUnavailable when the hub or the dataset cannot be reached.
    """
    import datasets

    try:
        dataset = datasets.load_dataset(name, config, split=split)
    except Exception as exc:  # network, missing dataset, unknown config: all mean "cannot load"
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise DataSourceUnavailable(
            f"cannot load dataset {name!r} from the Hugging Face hub ({reason}); check the name"
            " and your internet connection, or pass a local JSONL, CSV or Parquet file instead"
        ) from exc
    _require_columns(Path(name), list(dataset.column_names), mapping)
    return [_pair(record, mapping) for record in dataset]


def load_pairs_from_database(settings: Settings) -> list[Pair]:
    """Pairs from the newsroom's articles that carry an editor-written summary.

    Raises DataSourceUnavailable when no summary column is configured or the table is
    missing; DatabaseUnavailable when the database cannot be reached.
    """
    from newsum.db.engine import check_connection, make_engine
    from newsum.db.models import articles_table

    source = settings.articles
    if not source.summary_column:
        raise DataSourceUnavailable(
            "no summary column is configured: set articles.summary_column"
            " (NEWSUM_ARTICLES__SUMMARY_COLUMN) to the column holding editors' summaries"
        )
    engine = make_engine(settings.database_url)
    try:
        check_connection(engine)
        if not inspect(engine).has_table(source.table, schema=source.schema_name):
            raise DataSourceUnavailable(
                f"the article table {source.table!r} does not exist in the database"
            )
        table = articles_table(source)
        query = select(
            table.c.id, table.c.title, table.c.body, table.c.language, table.c.editor_summary
        ).where(
            table.c.editor_summary.is_not(None)
        ).order_by(table.c.id)
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    finally:
        engine.dispose()
    return [
        Pair(id=str(row.id), title=row.title or "", article=row.body or "",
             summary=row.editor_summary or "", language=row.language)
        for row in rows
    ]



def load_pairs_from_feedback(settings: Settings, model_version: str | None = None) -> list[Pair]:
    """Editors' approved and edited summaries as training pairs, ``feedback`` marking which.

    One pair per article: its latest reviewed summary (of ``model_version`` only, when
    given), with the article's current title, body and language. Raises
    DataSourceUnavailable when nothing was reviewed yet.
    """
    from newsum.db.engine import check_connection, make_engine
    from newsum.db.models import PROTECTED_STATES, ModelVersion, Summary, articles_table

    engine = make_engine(settings.database_url)
    table = articles_table(settings.articles)
    summaries = Summary.__table__
    query = (
        select(table.c.id, table.c.title, table.c.body, table.c.language, summaries.c.text,
               summaries.c.status)
        .join(summaries, summaries.c.article_id == table.c.id)
        # Approved as written or rewritten by an editor: the summaries an editor vouched for.
        .where(summaries.c.status.in_([state.value for state in PROTECTED_STATES]),
               summaries.c.text.is_not(None))
        .order_by(table.c.id, summaries.c.updated_at)
    )
    if model_version is not None:
        versions = ModelVersion.__table__
        query = query.join(versions, versions.c.id == summaries.c.model_version_id).where(
            versions.c.name == model_version
        )
    try:
        check_connection(engine)
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    finally:
        engine.dispose()
    latest = {row.id: row for row in rows}  # ordered by time: the last one wins
    if not latest:
        raise DataSourceUnavailable(
            "no approved or edited summary yet: editors review summaries at /review"
        )
    return [
        Pair(id=str(row.id), title=row.title or "", article=row.body or "",
             summary=row.text, language=row.language, feedback=str(row.status))
        for row in latest.values()
    ]
