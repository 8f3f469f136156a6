"""Editors' corrections become training pairs: approved and edited summaries, marked,
split by article id exactly like every other source, so none leaks across splits."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from harness.api import REVIEW_KEY, TOKEN, bearer
from harness.newsroom import (
    add_editor_account,
    add_editor_token,
    add_version,
    hold_for_review,
    insert_articles,
)
from newsum.config import Settings
from newsum.sandbox.corpus import generate_corpus
from newsum.server import create_app
from newsum.trainer.data import Pair, SplitFractions, load_split, prepare, split_of
from newsum.trainer.sources import load_pairs_from_feedback

FRACTIONS = SplitFractions(train=0.6, validation=0.2, test=0.2)


def test_reviewed_summaries_become_marked_pairs_that_keep_their_articles_split(
    engine: Engine, worker_settings: Settings, tmp_path: Path
) -> None:
    items = generate_corpus(40, seed=5)
    insert_articles(engine, worker_settings, [
        {"id": i.id, "title": i.title, "body": i.body, "language": i.language} for i in items
    ])
    version_id = add_version(engine, "v1")
    # Every article's summary waits for review, written as the reference minus nothing.
    hold_for_review(engine, worker_settings, version_id, {
        i.id: (i.summary, [{"kind": "too_long", "value": "test"}]) for i in items
    })
    add_editor_account(engine, "ana", "ana-has-a-long-password")
    ana = bearer(add_editor_token(engine, "ana"))
    settings = worker_settings.model_copy(update={
        "api_token": SecretStr(TOKEN), "review_secret_key": SecretStr(REVIEW_KEY)})
    edited = {i.id: f"{i.summary.split('.')[0]}." for i in items[:15]}
    with TestClient(create_app(settings)) as client:
        for article_id, text in edited.items():
            answer = client.post(f"/review/api/articles/{article_id}/summary/edit",
                                 headers=ana, json={"text": text})
            assert answer.status_code == 200, answer.text
        for item in items[15:30]:
            answer = client.post(f"/review/api/articles/{item.id}/summary/approve",
                                 headers=ana, json={})
            assert answer.status_code == 200, answer.text
        # The last ten stay in needs_review, or are rejected: no training pair.
        for item in items[30:35]:
            answer = client.post(f"/review/api/articles/{item.id}/summary/reject",
                                 headers=ana, json={})
            assert answer.status_code == 200, answer.text

    pairs = load_pairs_from_feedback(settings)
    by_id = {int(pair.id): pair for pair in pairs}
    assert set(by_id) == {i.id for i in items[:30]}
    assert all(by_id[a].feedback == "edited" and by_id[a].summary == t for a, t in edited.items())
    assert all(by_id[i.id].feedback == "approved" for i in items[15:30])
    assert {pair.language for pair in pairs} == {"en", "pt-BR"}

    original = [Pair(str(i.id), i.title, i.body, i.summary, i.language) for i in items]
    prepare(original, tmp_path / "data", source="corpus", fractions=FRACTIONS)
    prepare(pairs, tmp_path / "feedback", source="feedback", fractions=FRACTIONS)
    split = {
        folder: {p.id: name for name in ("train", "validation", "test")
                 for p in load_split(tmp_path / folder / f"{name}.jsonl")}
        for folder in ("data", "feedback")
    }
    assert set(split["feedback"]) == {str(i) for i in by_id}
    for article_id, name in split["feedback"].items():
        assert split["data"][article_id] == name == split_of(article_id, FRACTIONS)
    # The marks survive the files, so training and evaluation can tell edits apart.
    feedback_test = load_split(tmp_path / "feedback" / "test.jsonl")
    assert feedback_test and all(pair.feedback in ("edited", "approved") for pair in feedback_test)
