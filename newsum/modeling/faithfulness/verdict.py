"""The data a faithfulness check takes and returns: plain, frozen, JSON-ready."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SUPPORTED_LANGUAGES = ("en", "pt")


class FindingKind(StrEnum):
    """Kinds of finding the rule checker reports, in the order verdicts list them: the
    summary's form and language, then words and facts the article lacks, then facts the
    article has but not together (a role, who said a quote, what a figure counts, who did
    what)."""

    EMPTY = "empty"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    REPETITION = "repetition"
    PROMPT_ECHO = "prompt_echo"
    INJECTION = "injection"
    WRONG_LANGUAGE = "wrong_language"
    INVENTED_WORD = "invented_word"
    UNSUPPORTED_NUMBER = "unsupported_number"
    UNSUPPORTED_DATE = "unsupported_date"
    UNSUPPORTED_NAME = "unsupported_name"
    UNSUPPORTED_QUOTE = "unsupported_quote"
    WRONG_ROLE = "wrong_role"
    WRONG_SPEAKER = "wrong_speaker"
    FIGURE_CONTEXT = "figure_context"
    UNSUPPORTED_RELATION = "unsupported_relation"
    NOT_ENTAILED = "not_entailed"


_KIND_RANK = {kind.value: rank for rank, kind in enumerate(FindingKind)}


def normalize_language(code: str | None) -> str | None:
    """``"pt-BR"`` -> ``"pt"``, ``"EN_us"`` -> ``"en"``; None for a language newsum lacks."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in SUPPORTED_LANGUAGES else None


@dataclass(frozen=True)
class ArticleText:
    """The article a summary is checked against.

    ``language`` is normalised to "en", "pt" or None (unknown or unsupported: the
    language check is skipped; every other check works for any text).
    """

    title: str
    body: str
    language: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "language", normalize_language(self.language))

    @property
    def text(self) -> str:
        """Title and body as one text; a summary may draw on either."""
        return f"{self.title}\n\n{self.body}" if self.title else self.body


@dataclass(frozen=True)
class Finding:
    """One reason a summary may not be published, e.g. an unsupported figure.

    ``value`` is the summary's text as written (what an editor sees marked);
    ``evidence`` is the article passage the check compared it with, so the editor sees
    why ("Peter Walker, the trade minister, ..."), or "" where there is none.
    """

    kind: str
    value: str
    evidence: str = ""

    def as_dict(self) -> dict[str, str]:
        """``{"kind": ..., "value": ...}`` with ``"evidence"`` when there is some, ready
        for JSON (a finding without evidence is stored as it always was)."""
        record = {"kind": str(self.kind), "value": self.value}
        if self.evidence:
            record["evidence"] = self.evidence
        return record

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """The inverse of ``as_dict``; raises ValueError for a malformed record. Records
        stored before findings carried evidence load with none."""
        kind, value = data.get("kind"), data.get("value")
        evidence = data.get("evidence", "")
        if not isinstance(kind, str) or not kind or not isinstance(value, str):
            raise ValueError(f"a finding needs a string kind and a string value: {data!r}")
        if not isinstance(evidence, str):
            raise ValueError(f"a finding's evidence must be a string: {data!r}")
        return cls(kind=kind, value=value, evidence=evidence)


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: it passed iff there are no findings.

    ``score`` is a model checker's support score in [0, 1] (None for the rules alone),
    kept with the verdict so that a threshold can be chosen or moved afterwards.
    """

    findings: tuple[Finding, ...] = ()
    score: float | None = None

    @property
    def passed(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    @classmethod
    def of(cls, findings: Iterable[Finding], score: float | None = None) -> Verdict:
        """A verdict with ``findings`` de-duplicated (one per kind and value, the first
        found, whatever its evidence) and ordered by kind, then as found."""
        unique: dict[tuple[str, str], Finding] = {}
        for finding in findings:
            unique.setdefault((str(finding.kind), finding.value), finding)
        ordered = sorted(
            unique.values(), key=lambda f: _KIND_RANK.get(str(f.kind), len(_KIND_RANK))
        )
        return cls(findings=tuple(ordered), score=score)

    def kinds(self) -> set[str]:
        """The kinds of finding present."""
        return {str(f.kind) for f in self.findings}

    def as_dict(self) -> dict[str, Any]:
        """``{"passed": bool, "findings": [...]}`` (and ``"score"`` when scored), for JSON."""
        record: dict[str, Any] = {
            "passed": self.passed, "findings": [f.as_dict() for f in self.findings]
        }
        if self.score is not None:
            record["score"] = self.score
        return record

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        """The inverse of ``as_dict``; raises ValueError for a malformed or inconsistent record."""
        records = data.get("findings")
        if not isinstance(records, list):
            raise ValueError(f"a verdict needs a list of findings: {data!r}")
        score = data.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
            raise ValueError(f"a verdict's score must be a number: {data!r}")
        verdict = cls(
            findings=tuple(Finding.from_dict(r) for r in records),
            score=None if score is None else float(score),
        )
        if "passed" in data and data["passed"] is not verdict.passed:
            raise ValueError(f"passed={data['passed']!r} disagrees with the findings: {data!r}")
        return verdict


@dataclass(frozen=True)
class LengthBounds:
    """Accepted summary length in words (whitespace-separated tokens with a letter or digit)."""

    min_words: int = 3
    max_words: int | None = None

    def __post_init__(self) -> None:
        if self.min_words < 0:
            raise ValueError("min_words must not be negative")
        if self.max_words is not None and self.max_words < max(self.min_words, 1):
            raise ValueError("max_words must be at least 1 and at least min_words")

    @classmethod
    def from_max_tokens(
        cls, max_tokens: int, *, words_per_token: float = 0.75, min_words: int = 3
    ) -> LengthBounds:
        """Bounds for a summary budget of ``max_tokens`` (the manifest's max_summary_tokens).

        A token is about three quarters of a word in English news text, so the
        budget allows about ``0.75 * max_tokens`` words.
        """
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        max_words = max(min_words, 1, int(max_tokens * words_per_token))
        return cls(min_words=min_words, max_words=max_words)


@dataclass(frozen=True)
class SupportCounts:
    """Entities and numbers of one summary, and how many of each the article supports.

    Add them up over a corpus (``sum(counts, SupportCounts())``) for the corpus-level
    precisions of Nan et al. (2021).
    """

    entities_total: int = 0
    entities_supported: int = 0
    numbers_total: int = 0
    numbers_supported: int = 0

    def __add__(self, other: SupportCounts) -> SupportCounts:
        return SupportCounts(
            self.entities_total + other.entities_total,
            self.entities_supported + other.entities_supported,
            self.numbers_total + other.numbers_total,
            self.numbers_supported + other.numbers_supported,
        )

    @property
    def entity_precision(self) -> float | None:
        """Supported / total named entities; None when there are none."""
        return self.entities_supported / self.entities_total if self.entities_total else None

    @property
    def number_precision(self) -> float | None:
        """Supported / total numbers; None when there are none."""
        return self.numbers_supported / self.numbers_total if self.numbers_total else None
