"""Training data: article/summary pairs, cleaned and split by a hash of the article id.

``newsum data prepare`` writes ``train.jsonl``, ``validation.jsonl`` and ``test.jsonl``
(fields id, title, article, summary, language, feedback, and ``facts`` when the source
has a fact record, see :mod:`newsum.trainer.facts`) plus ``data_report.json``; training
reads
a split back with :func:`load_split`. Cleaning and splitting are pure functions.

Cleaning drops a pair whose reference summary names a person, place, figure, date or
quotation its article does not contain (the faithfulness check's own rules): a model
trained on such pairs learns to invent (Nan et al. 2021, "Entity-level Factual
Consistency of Abstractive Text Summarization").
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsum.errors import DataInvalid
from newsum.trainer.facts import FactRecord

if TYPE_CHECKING:
    from newsum.modeling.faithfulness import Finding

SPLITS = ("train", "validation", "test")
REPORT_FILE = "data_report.json"
# Findings that mean "the reference states what the article does not"; a reference's
# length or form is no reason to drop a pair.
UNSUPPORTED_FACT_KINDS = frozenset(
    {"unsupported_name", "unsupported_number", "unsupported_date", "unsupported_quote"}
)


@dataclass(frozen=True)
class Pair:
    """One article with its reference summary."""

    id: str
    title: str
    article: str
    summary: str
    language: str | None = None  # "en", "pt-BR", ...; None when the source does not say
    feedback: str | None = None  # "approved" or "edited" for an editor's summary
    facts: FactRecord | None = None  # what the article states, where someone wrote it down


@dataclass
class CleaningReport:
    """How many pairs came in, how many were kept, and why the others were dropped."""

    total: int = 0
    kept: int = 0
    empty: int = 0
    duplicate: int = 0
    duplicate_id: int = 0
    summary_not_shorter: int = 0
    unsupported_reference: int = 0  # dropped, or only counted when they are kept

    @property
    def dropped(self) -> int:
        return self.total - self.kept


@dataclass(frozen=True)
class SplitFractions:
    """Share of articles in each split; must add up to 1."""

    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1

    def __post_init__(self) -> None:
        values = (self.train, self.validation, self.test)
        if any(v < 0 for v in values) or abs(sum(values) - 1.0) > 1e-6:
            raise DataInvalid(f"split fractions must be >= 0 and add up to 1, got {values}")


_BLOCK_TAGS = re.compile(r"<\s*(br|/p|/div|/h[1-6]|/li)\b[^>]*>", re.IGNORECASE)
_HIDDEN = re.compile(r"<\s*(script|style)\b.*?</\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_text(text: str) -> str:
    """Text without HTML tags or entities, runs of spaces collapsed, paragraphs kept."""
    text = _HIDDEN.sub(" ", text)
    text = _BLOCK_TAGS.sub("\n\n", text)
    text = html.unescape(_TAG.sub(" ", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def unsupported_in_reference(pair: Pair) -> list[Finding]:
    """What the pair's reference summary states that its article does not support."""
    from newsum.modeling.faithfulness import ArticleText, check_summary

    verdict = check_summary(ArticleText(pair.title, pair.article, pair.language), pair.summary)
    return [f for f in verdict.findings if f.kind in UNSUPPORTED_FACT_KINDS]


def clean_pairs(
    pairs: Iterable[Pair], *, drop_unsupported: bool = True
) -> tuple[list[Pair], CleaningReport]:
    """Clean every field; drop empty, duplicate and not-shorter-summary pairs, counting why.

    A later pair with an id already seen (and different text) is dropped as duplicate_id,
    so that an id always means one article. A pair whose reference names what its article
    lacks is counted as unsupported_reference, and dropped unless ``drop_unsupported`` is
    false.
    """
    report = CleaningReport()
    kept: list[Pair] = []
    seen_texts: set[tuple[str, str]] = set()
    seen_ids: set[str] = set()
    for pair in pairs:
        report.total += 1
        cleaned = Pair(
            id=pair.id.strip(),
            title=clean_text(pair.title),
            article=clean_text(pair.article),
            summary=clean_text(pair.summary),
            language=(pair.language or "").strip() or None,
            feedback=pair.feedback,
            facts=pair.facts,
        )
        if not cleaned.article or not cleaned.summary or not cleaned.id:
            report.empty += 1
        elif (cleaned.article, cleaned.summary) in seen_texts:
            report.duplicate += 1
        elif cleaned.id in seen_ids:
            report.duplicate_id += 1
        elif len(cleaned.summary) >= len(cleaned.article):
            report.summary_not_shorter += 1
        else:
            unsupported = bool(unsupported_in_reference(cleaned))
            report.unsupported_reference += unsupported
            if unsupported and drop_unsupported:
                continue
            seen_texts.add((cleaned.article, cleaned.summary))
            seen_ids.add(cleaned.id)
            kept.append(cleaned)
    report.kept = len(kept)
    return kept, report


def split_of(article_id: str, fractions: SplitFractions) -> str:
    """The split an article belongs to: a stable hash of its id, never random."""
    digest = hashlib.sha256(article_id.encode("utf-8")).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    if position < fractions.train:
        return "train"
    if position < fractions.train + fractions.validation:
        return "validation"
    return "test"


def split_pairs(pairs: Iterable[Pair], fractions: SplitFractions) -> dict[str, list[Pair]]:
    """Pairs grouped by split, keeping their input order within each split."""
    splits: dict[str, list[Pair]] = {name: [] for name in SPLITS}
    for pair in pairs:
        splits[split_of(pair.id, fractions)].append(pair)
    return splits


@dataclass
class PreparedData:
    """What ``prepare`` wrote: split sizes, cleaning counts and a fingerprint of the data."""

    source: str
    fractions: dict[str, float]
    cleaning: dict[str, int]
    sizes: dict[str, int]
    fingerprint: str
    files: dict[str, str] = field(default_factory=dict)


def write_split(pairs: Sequence[Pair], path: Path) -> None:
    """Write pairs as JSONL with fields id, title, article, summary, language, feedback,
    and facts when the pair has a record."""
    with path.open("w", encoding="utf-8") as out:
        for pair in pairs:
            record = asdict(pair) | {"facts": pair.facts.as_dict() if pair.facts else None}
            if pair.facts is None:
                del record["facts"]
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def prepare(
    pairs: Iterable[Pair],
    out_dir: Path,
    *,
    source: str,
    fractions: SplitFractions,
    drop_unsupported: bool = True,
) -> PreparedData:
    """Clean and split ``pairs``; write the three split files and ``data_report.json``.

    Raises DataInvalid when no pair survives cleaning.
    """
    kept, cleaning = clean_pairs(pairs, drop_unsupported=drop_unsupported)
    if not kept:
        raise DataInvalid(f"{source}: no usable article/summary pair after cleaning ({cleaning})")
    out_dir.mkdir(parents=True, exist_ok=True)
    splits = split_pairs(kept, fractions)
    digest = hashlib.sha256()
    files = {}
    for name in SPLITS:
        path = out_dir / f"{name}.jsonl"
        write_split(splits[name], path)
        digest.update(path.read_bytes())
        files[name] = path.name
    prepared = PreparedData(
        source=source,
        fractions=asdict(fractions),
        cleaning=asdict(cleaning) | {"dropped": cleaning.dropped},
        sizes={name: len(splits[name]) for name in SPLITS},
        fingerprint=digest.hexdigest(),
        files=files,
    )
    (out_dir / REPORT_FILE).write_text(json.dumps(asdict(prepared), indent=2) + "\n")
    return prepared


def load_split(path: Path) -> list[Pair]:
    """The pairs of one prepared split file (``train.jsonl``, ...).

    Raises DataInvalid naming the file and line for a missing file or a malformed line.
    """
    if not path.is_file():
        raise DataInvalid(f"{path}: no such split file; run `newsum data prepare` first")
    pairs = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record: dict[str, Any] = json.loads(line)
                optional = {  # absent from the files of older versions
                    name: None if record.get(name) is None else str(record[name])
                    for name in ("language", "feedback")
                }
                facts = record.get("facts")
                pairs.append(Pair(
                    **{name: str(record[name]) for name in ("id", "title", "article", "summary")},
                    **optional,
                    facts=None if facts is None else FactRecord.from_dict(facts),
                ))
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
                raise DataInvalid(f"{path}: line {number}: not a prepared pair ({exc})") from exc
    return pairs


@dataclass(frozen=True)
class LengthStats:
    """Token-length percentiles of one field in one split."""

    p50: int
    p90: int
    p99: int
    max: int

    @classmethod
    def of(cls, lengths: Sequence[int]) -> LengthStats:
        import numpy as np

        if not lengths:
            return cls(0, 0, 0, 0)
        p50, p90, p99 = (int(round(v)) for v in np.percentile(lengths, [50, 90, 99]))
        return cls(p50, p90, p99, int(max(lengths)))


@dataclass(frozen=True)
class SplitLengths:
    """Size and token lengths of one split."""

    pairs: int
    article: LengthStats
    summary: LengthStats


def token_length_report(data_dir: Path, tokenizer_path: str) -> dict[str, SplitLengths]:
    """Sizes and article/summary token-length percentiles of each prepared split.

    Token counts exclude special tokens. Raises DataInvalid when a split file is missing.
    """
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    report = {}
    for name in SPLITS:
        pairs = load_split(data_dir / f"{name}.jsonl")
        lengths = {
            fieldname: [
                len(ids)
                for ids in tokenizer(
                    [getattr(pair, fieldname) for pair in pairs], add_special_tokens=False
                )["input_ids"]
            ] if pairs else []
            for fieldname in ("article", "summary")
        }
        report[name] = SplitLengths(
            pairs=len(pairs),
            article=LengthStats.of(lengths["article"]),
            summary=LengthStats.of(lengths["summary"]),
        )
    return report


def format_length_report(report: dict[str, SplitLengths]) -> str:
    """The token-length report as a small text table."""
    lines = [f"{'split':<11}{'pairs':>7}  {'field':<8}{'p50':>6}{'p90':>6}{'p99':>6}{'max':>7}"]
    for name, split in report.items():
        for fieldname in ("article", "summary"):
            stats: LengthStats = getattr(split, fieldname)
            lines.append(
                f"{name:<11}{split.pairs:>7}  {fieldname:<8}"
                f"{stats.p50:>6}{stats.p90:>6}{stats.p99:>6}{stats.max:>7}"
            )
    return "\n".join(lines)
