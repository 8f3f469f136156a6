"""The article table: create the embedded one, and import articles from JSONL or CSV.

An import is all or nothing: the whole file is read and checked first, every problem is
reported with its line number, and rows are written in one transaction only when the
file is clean (or, with ``skip_invalid``, the valid rows alone).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, select

from newsum.config import ArticleSource
from newsum.db.models import articles_table
from newsum.errors import ImportRejected, InvalidArticleId
from newsum.record_files import UnreadableFile, json_lines, read_utf8

MAX_BODY_BYTES = 2_000_000
REQUIRED_FIELDS = ("id", "title", "body")


def create_articles_table(engine: Engine, source: ArticleSource) -> Table:
    """Create the article table for the embedded newsroom (a CMS owns it in production)."""
    metadata = MetaData()
    table = articles_table(source, metadata)
    metadata.create_all(engine, checkfirst=True)
    return table


@dataclass
class ImportReport:
    """What an import did, or would have done."""

    path: Path
    inserted: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def rejected_lines(self) -> str:
        return "; ".join(f"line {line}: {why}" for line, why in self.rejected[:20]) + (
            f"; ... {len(self.rejected) - 20} more" if len(self.rejected) > 20 else ""
        )


def _parse_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"timestamp must be an ISO 8601 string, got {value!r}")
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


MAX_ARTICLE_ID = 2**63 - 1
"""Article ids are positive 64-bit integers (a BIGINT primary key in every database)."""


def parse_article_id(value: object) -> int:
    """``value`` (an int or a string of digits) as an article id; raises InvalidArticleId.

    The one definition of an article id, used by the importer, ``newsum enqueue``, the
    HTTP API and every producer.
    """
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ARTICLE_ID:
        raise InvalidArticleId(f"article id must be a positive integer, got {value!r}")
    return value


def parse_article_ids(values: Iterable[object]) -> list[int]:
    """Every value as an article id; raises InvalidArticleId naming all the bad ones."""
    ids, bad = [], []
    for value in values:
        try:
            ids.append(parse_article_id(value))
        except InvalidArticleId:
            bad.append(str(value))
    if bad:
        raise InvalidArticleId(f"article ids must be positive integers, got {', '.join(bad)}")
    return ids


def _to_row(record: dict[str, Any], with_summary: bool) -> dict[str, Any]:
    """Validate one input record and turn it into column values keyed canonically."""
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    for name in ("title", "body", "section", "language", "url", "summary"):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name} must be text, got {type(value).__name__}")
    body = record["body"] or ""
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise ValueError(
            f"body is {len(body.encode('utf-8')):,} bytes, over the {MAX_BODY_BYTES:,}-byte limit"
        )
    row = {
        "id": parse_article_id(record["id"]),
        "title": record["title"],
        "body": body,
        "section": record.get("section") or None,
        "language": record.get("language") or None,
        "url": record.get("url") or None,
        "published_at": _parse_time(record.get("published_at")),
        "updated_at": _parse_time(record.get("updated_at")) or _parse_time(
            record.get("published_at")
        ),
    }
    if with_summary:
        row["editor_summary"] = record.get("summary") or None
    return row


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, record) from a JSONL or CSV file; raise ValueError per bad line."""
    try:
        text = read_utf8(path)
    except UnreadableFile as exc:
        raise ImportRejected(f"{path}: {exc}") from exc
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = [name for name in REQUIRED_FIELDS if name not in (reader.fieldnames or [])]
        if missing:
            raise ImportRejected(f"{path}: line 1: missing column(s): {', '.join(missing)}")
        for record in reader:
            yield reader.line_num, record
        return
    for number, record in json_lines(text):
        yield number, record if isinstance(record, dict) else {"__error__": record}


def import_articles(
    engine: Engine,
    source: ArticleSource,
    path: Path,
    *,
    skip_invalid: bool = False,
) -> ImportReport:
    """Insert or update articles from ``path`` (``.jsonl``/``.json`` or ``.csv``).

    Raises ImportRejected, writing nothing, when any line is invalid (unless
    ``skip_invalid``) or when the file as a whole cannot be read.
    """
    if not path.is_file():
        raise ImportRejected(f"{path}: no such file")
    table = create_articles_table(engine, source)
    report = ImportReport(path=path)
    rows: dict[int, dict[str, Any]] = {}
    first_line: dict[int, int] = {}
    with_summary = source.summary_column is not None
    for number, record in _records(path):
        try:
            if "__error__" in record:
                raise ValueError(record["__error__"])
            row = _to_row(record, with_summary)
        except ValueError as exc:
            report.rejected.append((number, str(exc)))
            continue
        if row["id"] in rows:
            report.rejected.append(
                (number, f"duplicate id {row['id']} (first seen on line {first_line[row['id']]})")
            )
            continue
        rows[row["id"]] = row
        first_line[row["id"]] = number
    if report.rejected and not skip_invalid:
        raise ImportRejected(
            f"{path}: {len(report.rejected)} invalid line(s), nothing imported: "
            f"{report.rejected_lines()}"
        )
    if not rows:
        raise ImportRejected(f"{path}: no valid article in the file, nothing imported")
    with engine.begin() as connection:
        existing: set[int] = set()
        ids = list(rows)
        for start in range(0, len(ids), 500):
            existing.update(
                connection.execute(
                    select(table.c.id).where(table.c.id.in_(ids[start : start + 500]))
                ).scalars()
            )
        new_rows = [row for article_id, row in rows.items() if article_id not in existing]
        if new_rows:
            connection.execute(table.insert(), new_rows)
        for article_id in existing:
            connection.execute(
                table.update().where(table.c.id == article_id).values(rows[article_id])
            )
    report.inserted = len(rows) - len(existing)
    report.updated = len(existing)
    return report
