"""The synthetic news corpus: deterministic, bilingual, and summaries that carry the facts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from newsum.config import ArticleSource
from newsum.db.articles import import_articles
from newsum.db.engine import make_engine
from newsum.db.models import articles_table
from newsum.sandbox.corpus import generate_corpus, write_articles_jsonl
from newsum.sandbox.corpus_text import LANGUAGE_TEXT


def test_same_seed_gives_the_same_corpus_and_another_seed_a_different_one() -> None:
    assert generate_corpus(50, seed=3) == generate_corpus(50, seed=3)
    assert [i.body for i in generate_corpus(50, seed=4)] != [
        i.body for i in generate_corpus(50, seed=3)
    ]


def test_corpus_alternates_english_and_portuguese_across_sections() -> None:
    items = generate_corpus(200, seed=1)
    assert [i.language for i in items[:4]] == ["en", "pt-BR", "en", "pt-BR"]
    assert len({i.section for i in items if i.language == "en"}) == 5
    assert len({i.section for i in items if i.language == "pt-BR"}) == 5
    portuguese = " ".join(i.body for i in items if i.language == "pt-BR")
    assert re.search(r"[ãçéêóõí]", portuguese)
    assert len({i.id for i in items}) == 200


def test_articles_have_paragraphs_and_much_shorter_summaries() -> None:
    for item in generate_corpus(100, seed=2):
        assert item.body.count("\n\n") >= 3
        assert 1 <= item.summary.count(".") <= 3
        assert len(item.summary) < 0.6 * len(item.body)


def test_summary_names_who_where_when_and_the_figure_given_in_the_article() -> None:
    for item in generate_corpus(100, seed=5):
        text = LANGUAGE_TEXT[item.language]
        lead = item.body.split("\n\n")[0]
        people = [f"{first} {last}" for first in text.first_names for last in text.surnames
                  if f"{first} {last}" in item.summary]
        cities = [city for city in text.cities if city in item.summary]
        weekdays = [d for d in text.weekdays if d.lower() in item.summary.lower()]
        figures = re.findall(r"\d+", item.summary)
        assert len(people) == 1 and people[0] in lead
        assert len(cities) == 1 and cities[0] in lead
        assert len(weekdays) == 1 and weekdays[0].lower() in lead.lower()
        assert figures and all(figure in item.body for figure in figures)


def test_every_name_day_and_number_in_a_summary_is_in_its_article() -> None:
    for item in generate_corpus(200, seed=8):
        article = f"{item.title} {item.body}".lower()
        for sentence in re.split(r"(?<=[.!?])\s+", item.summary):
            words = re.findall(r"\w+(?:-\w+)*", sentence)
            claimed = [w for i, w in enumerate(words) if i > 0 and w[:1].isupper()]
            claimed += [w for w in words if any(c.isdigit() for c in w)]
            assert all(w.lower() in article for w in claimed), (item.summary, claimed)


def test_later_paragraphs_restate_the_lead_names_and_figure() -> None:
    items = generate_corpus(100, seed=9)
    for item in items:
        text = LANGUAGE_TEXT[item.language]
        surname = next(s for s in text.surnames if s in item.body.split("\n\n")[0])
        assert any(surname in paragraph for paragraph in item.body.split("\n\n")[2:])
    restated = sum(item.body.count(re.findall(r"\d+", item.summary)[0]) >= 2 for item in items)
    assert 0.2 * len(items) < restated < len(items)


def test_lead_three_sentences_are_strong_but_do_not_always_hold_the_figure() -> None:
    items = generate_corpus(300, seed=6)
    with_figure = 0
    for item in items:
        sentences = re.split(r"(?<=[.”])\s+", item.body.replace("\n\n", " "))
        figure = re.findall(r"\d+", item.summary)[0]
        with_figure += figure in " ".join(sentences[:3])
    assert 0.6 * len(items) < with_figure < len(items)


def test_written_jsonl_imports_into_the_newsroom_table_with_summaries(tmp_path: Path) -> None:
    items = generate_corpus(12, seed=7)
    path = write_articles_jsonl(items, tmp_path / "articles.jsonl")
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"id", "title", "body", "section", "language", "url",
                          "published_at", "updated_at", "summary", "facts"}
    # The fact record the article was written from, in the evaluation's generic schema.
    assert first["facts"]["person"] == {"name": items[0].facts.name, "role": items[0].facts.role}
    assert [f["value"] for f in first["facts"]["figures"]] == [items[0].facts.figure]
    assert str(items[0].facts.figure) in first["facts"]["figures"][0]["sentence"]
    source = ArticleSource(summary_column="editor_summary")
    engine = make_engine(f"sqlite:///{tmp_path / 'newsroom.db'}")
    report = import_articles(engine, source, path)
    assert report.inserted == 12
    with engine.connect() as connection:
        rows = connection.execute(select(articles_table(source))).mappings().all()
    by_id = {row["id"]: row for row in rows}
    assert by_id[3]["editor_summary"] == items[2].summary
    assert by_id[3]["body"] == items[2].body


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        generate_corpus(3, languages=("fr",))
