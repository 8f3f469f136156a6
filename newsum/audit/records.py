"""The files the audit reads and writes: summaries as JSON lines in, verdicts out.

Input, one object per line (other fields are ignored)::

    {"id": "a-1", "article": "..." | "title": "...", "body": "...", "summary": "...",
     "language": "en", "label": "faithful" | "unfaithful"}

``label`` is read only for calibration. Output, one verdict per input line, in order::

    {"id": "a-1", "passed": false, "findings": [{"kind", "value", "evidence"}], "score": 0.41}
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsum.errors import AuditDataInvalid
from newsum.modeling.faithfulness.verdict import ArticleText, Verdict
from newsum.record_files import UnreadableFile, json_lines, read_utf8

LABELS = {"faithful": True, "unfaithful": False}


@dataclass(frozen=True)
class SummaryItem:
    """One summary to judge, with its article (and, for calibration, whether it is faithful)."""

    id: str | int
    article: ArticleText
    summary: str
    faithful: bool | None = None


def read_summaries(path: Path, *, labelled: bool = False) -> list[SummaryItem]:
    """Every summary of ``path``; raises AuditDataInvalid naming the first bad line.

    The whole file is read before anything is checked, so a bad line costs no model time.
    """
    try:
        text = read_utf8(path)
    except FileNotFoundError:
        raise AuditDataInvalid(f"{path}: no such file") from None
    except OSError as exc:
        raise AuditDataInvalid(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnreadableFile as exc:
        raise AuditDataInvalid(f"{path}: {exc}") from None
    items: list[SummaryItem] = []
    problems: list[str] = []
    first_line: dict[str | int, int] = {}
    for number, record in json_lines(text):
        try:
            if isinstance(record, str):
                raise ValueError(record)
            item = parse_item(record, labelled=labelled)
            if item.id in first_line:
                raise ValueError(f"id {item.id!r} is already on line {first_line[item.id]}")
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        first_line[item.id] = number
        items.append(item)
    if problems:
        more = f" (and {len(problems) - 1} more malformed lines)" if len(problems) > 1 else ""
        raise AuditDataInvalid(f"{path}: {problems[0]}{more}; nothing was checked")
    return items


def parse_item(record: Mapping[str, Any], *, labelled: bool = False) -> SummaryItem:
    """One input object as a SummaryItem; raises ValueError saying what is wrong."""
    item_id = record.get("id")
    if isinstance(item_id, bool) or not isinstance(item_id, str | int) or item_id == "":
        raise ValueError("'id' must be a non-empty string or an integer")
    summary = _string(record, "summary", required=True)
    if "article" in record:
        article = ArticleText("", _string(record, "article", required=True),
                              _string(record, "language") or "en")
    elif "body" in record:
        article = ArticleText(_string(record, "title"), _string(record, "body", required=True),
                              _string(record, "language") or "en")
    else:
        raise ValueError("needs 'article' (or 'title' and 'body')")
    faithful = None
    if labelled:
        label = record.get("label")
        if label not in LABELS:
            raise ValueError(f"'label' must be one of {', '.join(LABELS)}, not {label!r}")
        faithful = LABELS[label]
    return SummaryItem(id=item_id, article=article, summary=summary, faithful=faithful)


def _string(record: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = record.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be a string" if key in record else f"needs '{key}'")
    return value


def verdict_record(item: SummaryItem, verdict: Verdict) -> dict[str, Any]:
    """The output line of one verdict: every finding with its evidence, the score if any."""
    record: dict[str, Any] = {
        "id": item.id,
        "passed": verdict.passed,
        "findings": [
            {"kind": str(f.kind), "value": f.value, "evidence": f.evidence}
            for f in verdict.findings
        ],
    }
    if verdict.score is not None:
        record["score"] = verdict.score
    return record


def write_json_lines(path: Path, records: Iterable[Mapping[str, Any]]) -> int:
    """Write ``records`` to ``path`` all at once: a temporary file, renamed when complete.

    A failure (or an interrupt) part-way leaves any earlier ``path`` as it was and no
    partial file behind. Returns the number of lines written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    count = 0
    try:
        with open(descriptor, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return count


def file_fingerprint(path: Path) -> str:
    """SHA-256 of the file's bytes: which data a calibration was made on."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
