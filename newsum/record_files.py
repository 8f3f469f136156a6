"""Reading files of records (JSONL, CSV): one UTF-8 decoder and one JSON-lines reader for
the article importer and the trainer's data sources, which differ only in what they do
with a bad line (the importer reports every one, data preparation stops at the first)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class UnreadableFile(ValueError):
    """A file that is not UTF-8 text, or holds nothing; the message names the line."""


def read_utf8(path: Path) -> str:
    """The text of ``path`` (a BOM is dropped); raises UnreadableFile."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UnreadableFile(f"line {line}: not valid UTF-8 (byte {exc.start})") from exc
    if not text.strip():
        raise UnreadableFile("the file is empty")
    return text


def json_lines(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, record) per non-blank line, or (line number, what is wrong with it)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"malformed JSON: {exc.msg} (column {exc.colno})"
            continue
        yield number, record if isinstance(record, dict) else "each line must be a JSON object"
