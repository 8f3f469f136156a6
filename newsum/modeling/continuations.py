"""What a summary may write next, given what its article joins to each person.

A name or a role just written is an anchor: after a name come the rest of the name, the
person's role as an apposition and one of their predicates; after a role, a holder's
name or predicate. A sentence that names people also limits what else it may say: the
predicates the article gives only to others, and a name after a role-like phrase that
is not that person's role ("the festival director Thomas Carter" when he is the theatre
director), are barred. :func:`sentence_state` reads the summary's current sentence and
says what comes next; :class:`~newsum.modeling.constraints.SourceWords` enforces it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsum.modeling.relations import ArticleRelations, Person

_WORD = re.compile(r"\w+")
# Read backwards: the lower-case words and spaces a sentence ends with.
_LOWER_TAIL = re.compile(r"(?:[^\W\d_A-Z]| )*")
_LOWER_RUN = re.compile(r"(?:^|\s)(?:the|a|an|o|a|os|as|The|A|O|Os|As)((?: [^\W\d_A-Z]+)+)$")


def _role_forms(person: Person) -> list[str]:
    return [form for role in sorted(person.roles)
            for form in (f", the {role},", f", {role},", f" ({role})")]


def name_continuations(relations: ArticleRelations, person: Person, written: str) -> list[str]:
    """What may follow ``written`` (a name of ``person`` just written): the rest of the
    name, the person's role as an apposition, then one of their predicates; a predicate;
    or the end of the sentence."""
    words = person.name.split()
    rest = words[words.index(written.split()[-1]) + 1 :] if written.split()[-1] in words else []
    options = [" " + " ".join(rest[:k]) for k in range(1, len(rest) + 1)]
    heads = ["", *_role_forms(person)]
    options += [f"{head} {p}" for head in heads for p in sorted(person.predicates)]
    options += [f", {p}" for p in sorted(person.predicates)]
    options += [form for form in _role_forms(person) if not person.predicates] + ["."]
    return options


def role_continuations(relations: ArticleRelations, role: str) -> list[str]:
    """What may follow a role just written: a holder's name, a longer role, or a holder's
    predicate ("the mayor approved")."""
    options = []
    for person in relations.holders(role):
        words = person.name.split()
        names = {person.name, words[0], words[-1]}
        options += [f"{sep}{name}" for name in sorted(names) for sep in (" ", ", ")]
        options += [f" {p}" for p in sorted(person.predicates)]
    for person in relations.people.values():
        options += [f" {r[len(role) + 1:]}" for r in person.roles if r.startswith(role + " ")]
    return options


@dataclass(frozen=True)
class SentenceState:
    """What the summary's current sentence allows next: the continuations a name or role
    just written demands (None: no demand), and the people the sentence has named."""

    options: list[str] | None
    people: tuple[str, ...]
    barred_names: frozenset[str] = frozenset()  # name words that may not come next


def sentence_state(relations: ArticleRelations, sentence: str) -> SentenceState:
    """Read the summary's current sentence against the article's relations.

    Each name or role written is an anchor with the continuations it allows; the first
    anchor still being continued decides what comes next, and every person the sentence
    named (or whose role it wrote) limits its days and figures to theirs and bars the
    predicates only others have. :class:`SentenceReader` reads the same, a growing
    sentence at a time.
    """
    return SentenceReader(relations).state(sentence)


# An anchor: where it starts and ends, what may follow it, whose it is, and whether it
# is a role (not a name).
_Anchor = tuple[int, int, list[str], list[str], bool]


class SentenceReader:
    """:func:`sentence_state` for one summary, read as it grows.

    A sentence that goes on from the one read last keeps the anchors that stand before
    the last stretch a role can span (text after them cannot change them) and scans only
    that stretch; an anchor done with, or whose every continuation the sentence has
    left, stays so however the sentence goes on, and is not read again.
    """

    def __init__(self, relations: ArticleRelations) -> None:
        self.relations = relations
        self._sentence = ""
        self._anchors: list[_Anchor] = []
        # Each final anchor, by its start, end and continuations: done with (True) or
        # left (False).
        self._final: dict[tuple[int, int, int], bool] = {}
        self._reach = max(map(len, relations.roles), default=0) + 1

    def state(self, sentence: str) -> SentenceState:
        relations = self.relations
        old = self._sentence
        if old and sentence.startswith(old):
            # A name is one word: those before the old sentence's last word stay as they
            # are. A role may span words: those that start before ``stable`` (a word's
            # start, at least a role's length before the old end) stay as they are.
            names_from = len(old)
            while names_from > 0 and _is_word_char(old[names_from - 1]):
                names_from -= 1
            stable = max(0, len(old) - self._reach)
            while stable > 0 and _is_word_char(old[stable - 1]):
                stable -= 1
            kept = [a for a in self._anchors
                    if a[0] < (stable if a[4] else names_from)]
            # A final anchor read again has the same key and is still final: its status
            # depends only on what follows it, which only grows.
        else:
            names_from, stable, kept, self._final = 0, 0, [], {}
        anchors = kept + _anchors(relations, sentence, names_from, stable)
        anchors.sort()
        self._sentence, self._anchors = sentence, anchors
        people = tuple(dict.fromkeys(name for _, _, _, names, _ in anchors for name in names))
        final = self._final
        for start, end, options, _, _ in anchors:
            key = (start, end, id(options))  # continuations are kept: one list each
            if key in final:
                continue
            written = sentence[end:]
            if any(written.startswith(option) for option in options):
                final[key] = True  # this anchor is done with
                continue
            pending = [o[len(written):] for o in options if o.startswith(written)]
            if pending:
                return SentenceState(pending, people)
            final[key] = False
        return SentenceState(None, people, _names_barred_after(relations, sentence))


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _anchors(relations: ArticleRelations, sentence: str, names_from: int,
             roles_from: int) -> list[_Anchor]:
    """The anchors of ``sentence``: the names from ``names_from`` on and the roles from
    ``roles_from`` on (each a word's start)."""
    anchors: list[_Anchor] = []
    for match in _WORD.finditer(sentence, names_from):
        person = relations.people.get(relations.owner.get(match.group(), ""))
        if person is not None:
            key = (person.name, match.group())
            if key not in relations.continuations:
                relations.continuations[key] = name_continuations(relations, person, match.group())
            anchors.append((match.start(), match.end(), relations.continuations[key],
                            [person.name], False))
    for role in relations.roles:
        # Each match of ``(?<!\w)role(?!\w)``, left to right and not overlapping.
        start = sentence.find(role, roles_from)
        if start < 0:
            continue
        holders = relations.role_holders.get(role)
        if holders is None:
            holders = relations.role_holders[role] = [p.name for p in relations.holders(role)]
        if role not in relations.continuations:
            relations.continuations[role] = role_continuations(relations, role)
        continuations = relations.continuations[role]
        while start >= 0:
            end = start + len(role)
            if (start == 0 or not _is_word_char(sentence[start - 1])) and (
                end == len(sentence) or not _is_word_char(sentence[end])
            ):
                anchors.append((start, end, continuations, holders, True))
                start = sentence.find(role, end)
            else:
                start = sentence.find(role, start + 1)
    return anchors


def lower_run(sentence: str) -> re.Match[str] | None:
    """``_LOWER_RUN.search(sentence)``, searched only where a match can begin: the run
    stands at the end, after a space and its determiner."""
    tail = _LOWER_TAIL.match(sentence[::-1])
    start = len(sentence) - tail.end() - 2  # type: ignore[union-attr]
    return _LOWER_RUN.search(sentence, max(start, 0))


def barred_predicates(relations: ArticleRelations, people: tuple[str, ...]) -> frozenset[str]:
    """The predicates the article gives only to people other than ``people``: what a
    sentence about ``people`` may not say they did."""
    if not people:
        return frozenset()
    own = {p for name in people for p in relations.people[name].predicates}
    others = {p for person in relations.people.values() if person.name not in people
              for p in person.predicates}
    return frozenset(others - own)


def _names_barred_after(relations: ArticleRelations, sentence: str) -> frozenset[str]:
    """After "the <lower-case words>" that are nobody's role, no person's name: a made-up
    role would otherwise pass for the name's ("the festival director Thomas Carter")."""
    match = lower_run(sentence)
    if match is None:
        return frozenset()
    run = match.group(1).strip()
    known = relations.barred_after.get(run)
    if known is None:
        known = relations.barred_after[run] = frozenset(
            word for person in relations.people.values()
            if not any(role == run or role.endswith(" " + run) for role in person.roles)
            for word in {person.name.split()[0], person.name.split()[-1]}
        )
    return known
