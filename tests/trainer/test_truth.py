"""Truth by the fact record: the corpus's references and leads are true, and every kind of
corruption (another person, role, day, a figure moved to another noun, an invented word,
the other language) is false, in English and in Portuguese."""

from __future__ import annotations

import random

import pytest

from newsum.sandbox.corpus import NewsItem, fact_record, generate_corpus
from newsum.sandbox.corpus_text import LANGUAGE_TEXT
from newsum.trainer.evaluate import lead3
from newsum.trainer.facts import FactRecord, FigureFact, Lexicon, PersonFact
from newsum.trainer.truth import figure_value, judge

CORPUS = generate_corpus(300, seed=5)
LEXICON = Lexicon.build(
    (item.language, (item.title, item.body, item.summary), fact_record(item.facts))
    for item in generate_corpus(1000, seed=0)
)


def _true(item: NewsItem, summary: str) -> bool:
    return judge(summary, fact_record(item.facts), article=f"{item.title}\n\n{item.body}",
                 language=item.language, lexicon=LEXICON).true


def _other_event(item: NewsItem, rng: random.Random):  # type: ignore[no-untyped-def]
    events = [e for section in LANGUAGE_TEXT[item.language].events.values() for e in section]
    return rng.choice([e for e in events if e.what != item.facts.event.what])


def _corrupt(item: NewsItem, kind: str, rng: random.Random) -> str:
    facts, summary = item.facts, item.summary
    first, figure_sentence = summary.split(". ", 1)
    if kind == "person":
        return summary.replace(facts.name, facts.other_name)
    if kind == "role":
        return summary.replace(facts.role, facts.other_role, 1)
    if kind == "day":
        days = [d for d in LANGUAGE_TEXT[item.language].weekdays if d != facts.weekday]
        return summary.replace(facts.weekday, rng.choice(days))
    if kind == "figure_noun":  # the record's figure, said of another event's thing
        return f"{first}. {_other_event(item, rng).detail_sentence.format(figure=facts.figure)}"
    if kind == "event":
        return summary.replace(facts.event.what, _other_event(item, rng).what)
    if kind == "invented":
        words = first.split()
        at = rng.randrange(1, len(words))
        words[at] = words[at].rstrip(",.") + ("ência" if item.language == "pt-BR" else "ly")
        return " ".join(words) + ". " + figure_sentence
    assert kind == "language"
    other = "acompanhou de perto a decisão." if item.language == "en" else "closely followed it."
    return f"{first}. {other}"


def test_the_corpus_references_and_leads_are_true_by_their_records() -> None:
    assert all(_true(item, item.summary) for item in CORPUS)
    assert all(_true(item, lead3(item.body)) for item in CORPUS)


@pytest.mark.parametrize("language", ["en", "pt-BR"])
@pytest.mark.parametrize(
    "kind", ["person", "role", "day", "figure_noun", "event", "invented", "language"]
)
def test_every_kind_of_corruption_is_false(kind: str, language: str) -> None:
    rng = random.Random(kind + language)
    items = [item for item in CORPUS if item.language == language]
    corrupted = [(item, _corrupt(item, kind, rng)) for item in items]
    corrupted = [(item, text) for item, text in corrupted if text != item.summary]
    assert len(corrupted) > 100
    assert not [text for item, text in corrupted if _true(item, text)]


def test_relations_decide_not_the_words_alone() -> None:
    record = FactRecord(
        person=PersonFact("Sarah Reed", "league director"),
        event="signed a new contract with the club",
        place="Millbrook", weekday="on Monday",
        figures=(FigureFact(4, "The contract runs for 4 seasons."),),
        others=(PersonFact("Ruth Shaw", "team captain"),),
    )
    article = ("Sarah Reed, the league director, signed a new contract with the club in"
               " Millbrook on Monday. The contract runs for 4 seasons. Ruth Shaw, the team"
               " captain, welcomed the news.")
    lexicon = Lexicon.build([("en", [article], record)])

    def true(summary: str) -> bool:
        return judge(summary, record, article=article, language="en", lexicon=lexicon).true

    assert true("In Millbrook, the league director Sarah Reed signed a new contract with the"
                " club on Monday. The contract runs for 4 seasons.")
    assert true("Ruth Shaw, the team captain, welcomed the news.")
    assert true("The team captain welcomed the news.")  # the role holder, nobody else
    assert not true("The league director Ruth Shaw signed a new contract with the club.")
    assert not true("Sarah Reed (team captain) signed a new contract with the club.")
    assert not true("The team captain signed a new contract with the club.")
    assert not true("Ruth Shaw signed a new contract with the club on Monday.")
    assert not true("Sarah Shaw signed a new contract with the club.")  # a mixed name
    assert not true("The contract runs for 4 goals.")  # what the figure counts
    assert not true("The vote will take place in 4 seasons.")  # what it is said of
    assert not true("Sarah Reed signed a new contract with the club on Tuesday.")
    assert not true("")


def test_a_fact_record_round_trips_and_refuses_what_is_not_one() -> None:
    record = fact_record(CORPUS[0].facts)
    assert FactRecord.from_dict(record.as_dict()) == record
    with pytest.raises(ValueError):
        FactRecord.from_dict({"person": {"name": "A"}, "event": "x"})
    with pytest.raises(ValueError):
        FactRecord.from_dict({"person": {"name": "", "role": "mayor"}, "event": "x"})


def test_figures_are_read_in_either_languages_way() -> None:
    assert figure_value("15,000") == figure_value("15.000") == figure_value("15000") == 15000
    assert figure_value("3,5") == figure_value("3.5") == 3.5
    assert figure_value("x") is None
