"""Is a summary true to its article's fact record? The truth the evaluation measures by.

The faithfulness check guesses from the article's text alone; the record knows. A summary
is true when every person, role, event, place, day and figure it states is the record's
and stands in the record's relation, and it writes no invented word:

- a person named is one of the record's people, and a name never mixes two of them;
- a role joined to a name ("the trade minister Peter Walker", "Peter Walker, the trade
  minister", "Júlia Teixeira (presidente do partido)") is that person's role; a role
  with no name beside it speaks of whoever holds it in the record, and nobody else;
- an event (any the corpus's records know) is the record's event, done by the record's
  person: the person named last before it;
- a place is the record's place, a weekday the record's weekday;
- a figure is one of the record's figures, followed by what the record's sentence counts
  ("40 votes" is not "40 new employees"), in a clause that says only what that sentence
  says ("the vote will take place in 6 percent" is not "households will pay 6 percent
  less");
- every word is the article's or a word of the corpus's language (:class:`Lexicon`):
  "quintaência" or "terçafeira" is invented.

Strict on purpose: a summary it calls true is one an editor would publish.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsum.trainer.facts import FactRecord, FigureFact, Lexicon, fold, folded_words, language_key

_TOKEN = re.compile(
    r"(?P<word>[^\W\d_]+(?:['’\-][^\W\d_]+)*)|(?P<number>\d+(?:[.,]\d+)*)|(?P<mark>[^\w\s])"
)
_SENTENCE_END = frozenset(".!?…")
_CLAUSE_END = _SENTENCE_END | frozenset(",;:()“”\"")
_JOINERS = frozenset({"the", "a", "an", "o", "os", "as"})  # "X, the mayor" / "o prefeito X"
_APPOSITION_MARKS = frozenset({",", "(", ")"})
FUNCTION_WORDS = frozenset(
    ["the", "a", "an", "and", "of", "in", "on", "at", "to", "for", "by", "with", "from", "is",
     "are", "was", "were", "will", "be", "that", "this", "its", "their", "his", "her", "o",
     "os", "as", "um", "uma", "de", "do", "da", "dos", "das", "em", "no", "na", "nos", "nas",
     "e", "por", "para", "com", "que", "se", "ao", "aos", "à", "às", "pelo", "pela"]
)
_EN_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PT_DAYS = ("segunda", "terca", "quarta", "quinta", "sexta", "sabado", "domingo")
WEEKDAYS: dict[str, int] = {
    **{day: i for i, day in enumerate(_EN_DAYS)},
    **{f"{day}-feira": i for i, day in enumerate(_PT_DAYS[:5])},
    "sabado": 5, "domingo": 6,
}
_PT_BARE_DAYS = {day: i for i, day in enumerate(_PT_DAYS[:5])}
_PT_DAY_BEFORE = frozenset({"nesta", "neste", "na", "no", "desta", "deste", "proxima", "ultima"})


@dataclass(frozen=True)
class _Token:
    raw: str
    folded: str
    kind: str  # word, number or mark


@dataclass
class Judgement:
    """The judge's verdict: true or not, why not, and the summary's invented words."""

    true: bool
    problems: list[str] = field(default_factory=list)
    words: int = 0
    invented: list[str] = field(default_factory=list)


def _tokens(text: str) -> list[_Token]:
    found = []
    for match in _TOKEN.finditer(text):
        raw = match.group()
        folded = fold(raw)
        if folded.endswith("'s") and len(folded) > 2:
            folded = folded[:-2]
        found.append(_Token(raw, folded, match.lastgroup or "mark"))
    return found


def _sentences(tokens: list[_Token]) -> list[list[_Token]]:
    sentences: list[list[_Token]] = [[]]
    for token in tokens:
        sentences[-1].append(token)
        if token.kind == "mark" and token.raw in _SENTENCE_END:
            sentences.append([])
    return [s for s in sentences if any(t.kind != "mark" for t in s)]


def figure_value(text: str) -> float | None:
    """"15,000" and "15.000" -> 15000, "3,5" -> 3.5; None for what is not a number."""
    parts = re.split(r"[.,]", text)
    if not all(p.isdigit() for p in parts):
        return None
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]):
        return float("".join(parts))
    return float(text.replace(",", "."))


def weekday_of(folded: list[str], i: int) -> int | None:
    """The weekday the folded word ``folded[i]`` names in its context, or None."""
    word = folded[i]
    if word in WEEKDAYS:
        return WEEKDAYS[word]
    if word in _PT_BARE_DAYS and i > 0 and folded[i - 1] in _PT_DAY_BEFORE:
        return _PT_BARE_DAYS[word]
    return None


@dataclass(frozen=True)
class _Span:
    start: int  # token indices within the sentence, end exclusive
    end: int
    kind: str  # person, unknown_person, role, event, place
    value: object


class _Sentence:
    """One summary sentence with the record's people, roles, events and places found."""

    def __init__(self, tokens: list[_Token], record: FactRecord, lexicon: Lexicon, lang: str):
        self.tokens = tokens
        self.taken = [False] * len(tokens)
        self.spans: list[_Span] = []
        self._people(record, lexicon, lang)
        self._phrases("place", lexicon.places.get(lang, set()), capitalised=True)
        self._phrases("event", lexicon.events.get(lang, set()), capitalised=False)
        self._phrases("role", lexicon.roles.get(lang, set()), capitalised=False)
        self.spans.sort(key=lambda s: s.start)

    def _people(self, record: FactRecord, lexicon: Lexicon, lang: str) -> None:
        people = [tuple(fold(w) for w in p.name.split()) for p in record.people]
        single: dict[str, set[int]] = {}
        for index, name in enumerate(people):
            for part in (name[0], name[-1]):
                single.setdefault(part, set()).add(index)
        known = {fold(n) for n in lexicon.names.get(lang, set())}
        i = 0
        while i < len(self.tokens):
            token = self.tokens[i]
            if token.kind != "word" or not token.raw[:1].isupper():
                i += 1
                continue
            for index, name in enumerate(people):
                if tuple(t.folded for t in self.tokens[i : i + len(name)]) == name:
                    self._take(i, i + len(name), "person", index)
                    i += len(name)
                    break
            else:
                owners = single.get(token.folded, set())
                if len(owners) == 1:
                    self._take(i, i + 1, "person", next(iter(owners)))
                elif token.folded in known or owners:
                    self._take(i, i + 1, "unknown_person", token.raw)
                i += 1

    def _phrases(self, kind: str, phrases: set[tuple[str, ...]], *, capitalised: bool) -> None:
        for phrase in sorted(phrases, key=len, reverse=True):
            n = len(phrase)
            for i in range(len(self.tokens) - n + 1):
                window = self.tokens[i : i + n]
                if any(self.taken[i : i + n]) or tuple(t.folded for t in window) != phrase:
                    continue
                if capitalised and not window[0].raw[:1].isupper():
                    continue
                self._take(i, i + n, kind, phrase)

    def _take(self, start: int, end: int, kind: str, value: object) -> None:
        self.spans.append(_Span(start, end, kind, value))
        for i in range(start, end):
            self.taken[i] = True

    def adjacent(self, a: _Span, b: _Span) -> bool:
        """Whether two spans are joined as apposition: only marks and one article between."""
        first, second = (a, b) if a.start < b.start else (b, a)
        between = self.tokens[first.end : second.start]
        joiners = [t for t in between if t.kind != "mark"]
        marks = {t.raw for t in between if t.kind == "mark"}
        return (
            len(joiners) <= 1
            and all(t.folded in _JOINERS for t in joiners)
            and marks <= _APPOSITION_MARKS
        )


def judge(
    summary: str, record: FactRecord, *, article: str, language: str | None, lexicon: Lexicon
) -> Judgement:
    """Whether ``summary`` is true to ``record`` (see the module docstring for the rules)."""
    lang = language_key(language)
    tokens = _tokens(summary)
    verdict = Judgement(true=True, words=sum(t.kind == "word" for t in tokens))
    if not verdict.words:
        return Judgement(true=False, problems=["states nothing"])
    known = set(folded_words(article)) | lexicon.words.get(lang, set())
    verdict.invented = [t.raw for t in tokens if t.kind == "word" and t.folded not in known]
    verdict.problems += [f"invented word {w!r}" for w in verdict.invented]
    last_person: int | None = None
    # A line is a sentence too: a list item ends where its line does.
    lines = [_tokens(line) for line in summary.splitlines()]
    for sentence_tokens in (s for line in lines for s in _sentences(line)):
        sentence = _Sentence(sentence_tokens, record, lexicon, lang)
        last_person = _relations(sentence, record, verdict, last_person)
        _days_and_figures(sentence, record, verdict)
    verdict.true = not verdict.problems
    return verdict


def _relations(
    sentence: _Sentence, record: FactRecord, verdict: Judgement, last_person: int | None
) -> int | None:
    """Check people, roles, places and events of one sentence; return the last person."""
    people = record.people
    roles = [tuple(folded_words(p.role)) for p in people]
    persons = [s for s in sentence.spans if s.kind == "person"]
    for span in sentence.spans:
        if span.kind == "unknown_person":
            verdict.problems.append(f"person {span.value!r} is not the record's")
        elif span.kind == "place" and span.value != tuple(folded_words(record.place or "")):
            verdict.problems.append(f"place {' '.join(span.value)!r} is not the record's")  # type: ignore[arg-type]
    for a, b in zip(persons, persons[1:], strict=False):
        if a.end == b.start:
            verdict.problems.append("a name mixes two people")
    subjects: list[tuple[int, int]] = [(s.start, int(s.value)) for s in persons]  # type: ignore[call-overload]
    for span in (s for s in sentence.spans if s.kind == "role"):
        joined = [p for p in persons if sentence.adjacent(span, p)]
        for person in joined:
            if roles[int(person.value)] != span.value:  # type: ignore[call-overload]
                verdict.problems.append(
                    f"role {' '.join(span.value)!r} given to {people[int(person.value)].name}"  # type: ignore[arg-type, call-overload]
                )
        if not joined:  # "the mayor said ...": whoever holds that role
            holders = [i for i, role in enumerate(roles) if role == span.value]
            if not holders:
                verdict.problems.append(f"role {' '.join(span.value)!r} is nobody's")  # type: ignore[arg-type]
            else:
                subjects.append((span.start, holders[0]))
    subjects.sort()
    event = tuple(folded_words(record.event))
    for span in (s for s in sentence.spans if s.kind == "event"):
        if span.value != event:
            verdict.problems.append(f"event {' '.join(span.value)!r} is not the record's")  # type: ignore[arg-type]
            continue
        before = [who for start, who in subjects if start < span.start]
        actor = before[-1] if before else last_person
        if actor is not None and actor != 0:
            verdict.problems.append(f"{people[actor].name} did not {record.event}")
    return subjects[-1][1] if subjects else last_person


def _days_and_figures(sentence: _Sentence, record: FactRecord, verdict: Judgement) -> None:
    tokens = sentence.tokens
    folded = [t.folded for t in tokens]
    day_words = folded_words(record.weekday or "")
    record_days = {weekday_of(day_words, i) for i in range(len(day_words))} - {None}
    for i, token in enumerate(tokens):
        if token.kind == "word":
            day = weekday_of(folded, i)
            if day is not None and day not in record_days:
                verdict.problems.append(f"day {token.raw!r} is not the record's")
        elif token.kind == "number":
            problem = _figure_problem(sentence, i, record)
            if problem:
                verdict.problems.append(problem)


def _figure_problem(sentence: _Sentence, i: int, record: FactRecord) -> str | None:
    """Why the figure at token ``i`` is not one of the record's, or None."""
    raw = sentence.tokens[i].raw
    value = figure_value(raw)
    matching = [f for f in record.figures
                if value is not None and abs(value - f.value) < 1e-9]
    if not matching:
        return f"figure {raw} is not the record's"
    day = tuple(folded_words(record.weekday or ""))
    problems = [_figure_context(sentence, i, raw, value, f, day) for f in matching]  # type: ignore[arg-type]
    return None if None in problems else problems[0]


def _figure_context(
    sentence: _Sentence, i: int, raw: str, value: float, figure: FigureFact,
    day: tuple[str, ...],
) -> str | None:
    """Whether the figure at ``i`` counts what ``figure``'s sentence counts, in a clause
    that says only what that sentence says."""
    stated = [t for t in _tokens(figure.sentence) if t.kind != "mark"]
    at = next((j for j, t in enumerate(stated)
               if t.kind == "number" and figure_value(t.raw) == value), None)
    after = [t for t in sentence.tokens[i + 1 :] if t.kind != "mark"][:1]
    unit = stated[at + 1] if at is not None and at + 1 < len(stated) else None
    if unit is not None and after and after[0].folded != unit.folded:
        return f"figure {raw} counts {after[0].raw!r}, not {unit.raw!r}"
    allowed = {t.folded for t in stated} | FUNCTION_WORDS | set(day)
    start, end = i, i
    while start > 0 and sentence.tokens[start - 1].raw not in _CLAUSE_END:
        start -= 1
    while end < len(sentence.tokens) and sentence.tokens[end].raw not in _CLAUSE_END:
        end += 1
    strays = [
        t.raw for j, t in enumerate(sentence.tokens[start:end], start)
        if t.kind == "word" and not sentence.taken[j] and t.folded not in allowed
        and weekday_of([t.folded], 0) is None
    ]
    if strays:
        return f"figure {raw} is said of {' '.join(strays)!r}, not as the record states it"
    return None
