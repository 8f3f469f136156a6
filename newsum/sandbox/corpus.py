"""A synthetic news corpus in English and Brazilian Portuguese, deterministic by seed.

Every article is written from a small set of facts (who, what, where, when, a figure).
The lead paragraph carries those facts, later paragraphs add background, a quote and
reactions, and the reference summary restates the facts in one or two sentences. The
vocabulary is bounded (a few hundred words per language) so that a tiny model can
learn it, and the lead is varied (an opening scene, the figure held back to the second
paragraph) so that a lead-3 baseline is strong but not perfect.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsum.sandbox.corpus_text import LANGUAGE_TEXT, SECTIONS, Event, LanguageText
from newsum.trainer.facts import FactRecord, FigureFact, PersonFact

EPOCH = datetime(2024, 1, 1, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Facts:
    """The facts an article is written from; the summary names all of them."""

    name: str
    surname: str
    role: str
    event: Event
    city: str
    weekday: str
    figure: int
    other_name: str
    other_role: str


@dataclass(frozen=True)
class NewsItem:
    """One synthetic article with its reference summary and the facts it was written from
    (the truth against which a summary of it is judged)."""

    id: int
    title: str
    body: str
    summary: str
    section: str
    language: str
    published_at: datetime
    url: str
    facts: Facts


def fact_record(facts: Facts) -> FactRecord:
    """``facts`` in the generic schema the evaluation reads (see newsum.trainer.facts)."""
    return FactRecord(
        person=PersonFact(facts.name, facts.role),
        event=facts.event.what,
        place=facts.city,
        weekday=facts.weekday,
        figures=(FigureFact(facts.figure, _capitalize(_fill(facts.event.detail_sentence, facts))),),
        others=(PersonFact(facts.other_name, facts.other_role),),
    )


def _draw_facts(rng: random.Random, text: LanguageText, section: str, day: datetime) -> Facts:
    names = rng.sample(text.first_names, 2)
    surnames = rng.sample(text.surnames, 2)
    roles = rng.sample(text.roles[section], 2)
    event = rng.choice(text.events[section])
    return Facts(
        name=f"{names[0]} {surnames[0]}",
        surname=surnames[0],
        role=roles[0],
        event=event,
        city=rng.choice(text.cities),
        weekday=text.weekdays[day.weekday()],
        figure=rng.randrange(event.low, event.high + 1, event.step),
        other_name=f"{names[1]} {surnames[1]}",
        other_role=roles[1],
    )


def _fill(template: str, facts: Facts, quote: str = "") -> str:
    return template.format(
        quote=quote,
        name=facts.name,
        surname=facts.surname,
        role=facts.role,
        city=facts.city,
        weekday=facts.weekday,
        figure=facts.figure,
        other_name=facts.other_name,
        other_role=facts.other_role,
        what=facts.event.what,
        topic=facts.event.topic,
    )


def _capitalize(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _lead(rng: random.Random, text: LanguageText, facts: Facts) -> tuple[str, str | None]:
    """The lead paragraph, and the figure sentence when it is held back for later."""
    main = _capitalize(_fill(rng.choice(text.lead_main), facts))
    figure = _capitalize(_fill(facts.event.detail_sentence, facts))
    sentences = [main]
    if rng.random() < 0.3:
        sentences.insert(0, _fill(rng.choice(text.scene), facts))
    held_back = None
    if rng.random() < 0.3:
        held_back = figure
    else:
        sentences.append(figure)
    return " ".join(sentences), held_back


def _paragraphs(rng: random.Random, text: LanguageText, section: str, facts: Facts) -> list[str]:
    lead, held_back = _lead(rng, text, facts)
    background = [_fill(t, facts) for t in rng.sample(text.background[section], 2)]
    if held_back:  # after the background: a lead-3 summary then misses the figure
        background.append(held_back)
    quote = _fill(rng.choice(text.quotes[section]), facts)
    quote_line = _fill(rng.choice(text.quote_frames), facts, quote)
    reaction = [
        _fill(rng.choice(text.reactions), facts),
        _fill(rng.choice(text.general_reactions), facts),
    ]
    rng.shuffle(reaction)
    # Later paragraphs restate who, where and the figure, as news does: the only way to
    # predict them is to copy them from earlier in the article.
    follow_up = [_fill(t, facts) for t in rng.sample(text.follow_ups, 2)]
    closing = _fill(rng.choice(text.closings), facts)
    paragraphs = [lead, " ".join(background), quote_line, " ".join(reaction), " ".join(follow_up)]
    if rng.random() < 0.6:
        paragraphs.append(closing)
    return paragraphs


def _summary(rng: random.Random, text: LanguageText, facts: Facts) -> str:
    first = _capitalize(_fill(rng.choice(text.summary_main), facts))
    return f"{first} {_capitalize(_fill(facts.event.detail_sentence, facts))}"


def _slug(title: str) -> str:
    kept = "".join(c if c.isalnum() else "-" for c in title.lower())
    return "-".join(part for part in kept.split("-") if part)[:60]


def generate_corpus(
    n_articles: int,
    *,
    seed: int = 0,
    languages: tuple[str, ...] = ("en", "pt-BR"),
) -> list[NewsItem]:
    """Return ``n_articles`` synthetic articles, the same ones for the same seed.

    Languages alternate in the order given; ids run from 1. Raises ValueError for an
    unknown language or a negative count.
    """
    if n_articles < 0:
        raise ValueError("n_articles must not be negative")
    unknown = [lang for lang in languages if lang not in LANGUAGE_TEXT]
    if unknown or not languages:
        raise ValueError(f"unknown language(s) {unknown}; known: {sorted(LANGUAGE_TEXT)}")
    rng = random.Random(seed)
    items = []
    for index in range(n_articles):
        language = languages[index % len(languages)]
        text = LANGUAGE_TEXT[language]
        section = rng.choice(SECTIONS)
        published_at = EPOCH + timedelta(days=rng.randrange(700), minutes=rng.randrange(720))
        facts = _draw_facts(rng, text, section, published_at)
        title = _capitalize(_fill(facts.event.title, facts))
        article_id = index + 1
        items.append(
            NewsItem(
                id=article_id,
                title=title,
                body="\n\n".join(_paragraphs(rng, text, section, facts)),
                summary=_summary(rng, text, facts),
                section=text.section_names[section],
                language=language,
                published_at=published_at,
                url=f"https://news.example.com/{language.lower()}/{section}/{article_id}-{_slug(title)}",
                facts=facts,
            )
        )
    return items


def write_articles_jsonl(items: Iterable[NewsItem], path: Path) -> Path:
    """Write ``items`` in the format of ``newsum articles import``; return ``path``.

    Each record carries ``facts``, the fact record its article was written from, which
    ``newsum data prepare`` keeps so that ``newsum eval`` can judge summaries by it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            stamp = item.published_at.isoformat()
            record = {
                "id": item.id,
                "title": item.title,
                "body": item.body,
                "section": item.section,
                "language": item.language,
                "url": item.url,
                "published_at": stamp,
                "updated_at": stamp,
                "summary": item.summary,
                "facts": fact_record(item.facts).as_dict(),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
