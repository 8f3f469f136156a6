"""The JSON review API on SQLite and PostgreSQL: the queue, approve, edit, reject, and an
audit record for every action naming who did what to which text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, select

from harness.api import TOKEN, bearer
from harness.newsroom import add_editor_account, add_version, hold_for_review, insert_articles
from newsum.api.app import create_app
from newsum.config import Settings
from newsum.db.engine import transaction
from newsum.db.models import ReviewRecord, Summary
from tests.api.test_app import queue_length

ARTICLES = [
    {"id": 11, "title": "Port strike ends", "section": "economy", "language": "en",
     "body": "Dock workers in Santos ended a nine-day strike on Friday after a pay deal."},
    {"id": 12, "title": "Ponte reaberta", "section": "cidades", "language": "pt-BR",
     "body": "A ponte de Niterói foi reaberta na terça-feira depois de obras."},
    {"id": 13, "title": "Museum roof repaired", "section": "culture", "language": "en",
     "body": "The city museum reopened its east wing after the roof was repaired."},
    {"id": 14, "title": "Rail fares rise", "section": "economy", "language": "en",
     "body": "Rail fares will rise by four percent in March, the operator said."},
]
HELD = {
    11: ("Dock workers in Lisbon ended a 12-day strike.",
         [{"kind": "unsupported_name", "value": "Lisbon"},
          {"kind": "unsupported_number", "value": "12"}]),
    12: ("A ponte de Niterói foi reaberta na quarta-feira.",
         [{"kind": "unsupported_date", "value": "quarta-feira"}]),
    13: ("The museum reopened its west wing.", [{"kind": "unsupported_name", "value": "west"}]),
    14: ("Rail fares rise by nine percent in March.",
         [{"kind": "unsupported_number", "value": "nine percent"}]),
}


@pytest.fixture
def review_settings(worker_settings: Settings, engine: Engine) -> Settings:
    version_id = add_version(engine, "v1")
    insert_articles(engine, worker_settings, ARTICLES)
    hold_for_review(engine, worker_settings, version_id, HELD)
    add_editor_account(engine, "ana", "ana-has-a-long-password")
    return worker_settings.model_copy(update={"api_token": SecretStr(TOKEN)})


@pytest.fixture
def client(review_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(review_settings), raise_server_exceptions=False) as test_client:
        yield test_client


def rows(engine: Engine) -> dict[int, Summary]:
    with transaction(engine) as session:
        return {row.article_id: row for row in session.scalars(select(Summary))}


def records(engine: Engine) -> list[ReviewRecord]:
    with transaction(engine) as session:
        found = list(session.scalars(select(ReviewRecord).order_by(ReviewRecord.id)))
        for record in found:
            _ = record.editor.name
        return found


def test_the_review_api_needs_the_cms_credentials(client: TestClient, engine: Engine) -> None:
    assert client.get("/summaries").status_code == 401
    refused = client.post("/articles/11/summary/approve", json={"editor": "ana"})
    assert refused.status_code == 401
    assert rows(engine)[11].status == "needs_review" and records(engine) == []


def test_the_queue_pages_by_keyset_and_filters_by_section_language_and_version(
    client: TestClient,
) -> None:
    first = client.get("/summaries?limit=3", headers=bearer()).json()
    assert [item["article_id"] for item in first["items"]] == [11, 12, 13]
    assert first["items"][0]["findings"] == HELD[11][1]
    assert first["items"][0]["title"] == "Port strike ends"
    rest = client.get(f"/summaries?limit=3&after={first['next_after']}", headers=bearer()).json()
    assert [item["article_id"] for item in rest["items"]] == [14]
    assert rest["next_after"] is None

    def ids(query: str) -> list[int]:
        answer = client.get(f"/summaries?{query}", headers=bearer())
        assert answer.status_code == 200, answer.text
        return [item["article_id"] for item in answer.json()["items"]]

    assert ids("section=economy") == [11, 14]
    assert ids("language=pt-BR") == [12]
    assert ids("model_version=v1&section=culture") == [13]
    assert ids("status=approved") == []
    assert client.get("/summaries?model_version=v9", headers=bearer()).status_code == 404
    assert client.get("/summaries?limit=101", headers=bearer()).status_code == 422
    assert client.get("/summaries?status=bogus", headers=bearer()).status_code == 422


def test_approve_edit_and_reject_change_the_summary_and_each_leaves_an_audit_record(
    client: TestClient, engine: Engine, review_settings: Settings
) -> None:
    approved = client.post("/articles/13/summary/approve", headers=bearer(),
                           json={"editor": "ana", "note": "west wing is fine"})
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["publishable"]) == ("approved", True)

    held_text = "Dock workers in Santos ended a 10-day strike after a pay deal."
    held = client.post("/articles/11/summary/edit", headers=bearer(),
                       json={"editor": "ana", "text": held_text}).json()
    # The check ran on the editor's text: "10" is not in the article, so the edit is kept
    # but not published; it waits with its findings for a correction.
    assert (held["status"], held["publishable"], held["text"]) == (
        "needs_review", False, held_text)
    assert {"kind": "unsupported_number", "value": "10"} in held["findings"]
    edit_text = "Dock workers in Santos ended a nine-day strike on Friday after a pay deal."
    edited = client.post("/articles/11/summary/edit", headers=bearer(),
                         json={"editor": "ana", "text": edit_text}).json()
    assert (edited["status"], edited["publishable"], edited["text"]) == ("edited", True, edit_text)
    assert edited["findings"] == []

    rejected = client.post("/articles/14/summary/reject", headers=bearer(),
                           json={"editor": "ana", "regenerate": True}).json()
    assert (rejected["status"], rejected["publishable"]) == ("rejected", False)
    assert rejected["regenerate_queued"] is True and queue_length(review_settings) == 1

    shown = client.get("/articles/11/summary", headers=bearer()).json()
    assert (shown["status"], shown["publishable"], shown["text"]) == ("edited", True, edit_text)
    stored = rows(engine)
    assert (stored[13].status, stored[13].text) == ("approved", HELD[13][0])
    assert (stored[14].status, stored[14].text) == ("rejected", None)
    assert stored[12].status == "needs_review"

    audit = {record.article_id: record for record in records(engine)}  # the latest each
    assert set(audit) == {11, 13, 14}
    assert all(record.editor.name == "ana" for record in audit.values())
    assert (audit[13].action, audit[13].text_before, audit[13].text_after, audit[13].note) == (
        "approve", HELD[13][0], HELD[13][0], "west wing is fine")
    first_edit = next(r for r in records(engine) if r.article_id == 11)
    assert (first_edit.status_before, first_edit.status_after) == ("needs_review", "needs_review")
    assert (first_edit.text_before, first_edit.text_after) == (HELD[11][0], held_text)
    assert first_edit.findings_before == HELD[11][1]
    assert first_edit.findings_after == held["findings"]
    assert (audit[11].action, audit[11].status_before, audit[11].status_after) == (
        "edit", "needs_review", "edited")
    assert (audit[11].text_before, audit[11].text_after) == (held_text, edit_text)
    assert audit[11].findings_after is None
    assert (audit[14].action, audit[14].text_after, audit[14].regenerate) == ("reject", None, True)

    trail = client.get("/articles/11/summary/reviews", headers=bearer()).json()
    assert [(r["editor"], r["action"], r["text_after"]) for r in trail] == [
        ("ana", "edit", held_text), ("ana", "edit", edit_text)]


def test_an_unknown_or_disabled_editor_is_refused_and_nothing_changes(
    client: TestClient, engine: Engine
) -> None:
    from newsum.db.editors import set_editor_active

    unknown = client.post("/articles/11/summary/approve", headers=bearer(),
                          json={"editor": "mallory"})
    assert unknown.status_code == 403, unknown.text
    with transaction(engine) as session:
        set_editor_active(session, "ana", False)
    disabled = client.post("/articles/11/summary/approve", headers=bearer(),
                           json={"editor": "ana"})
    assert disabled.status_code == 403
    assert rows(engine)[11].status == "needs_review" and records(engine) == []


def test_an_action_that_no_longer_applies_is_a_conflict(client: TestClient,
                                                         engine: Engine) -> None:
    changed = client.post("/articles/12/summary/approve", headers=bearer(),
                          json={"editor": "ana", "expected_text": "An older text."})
    assert changed.status_code == 409, changed.text
    first = client.post("/articles/12/summary/approve", headers=bearer(),
                        json={"editor": "ana", "expected_text": HELD[12][0]})
    assert first.status_code == 200, first.text
    again = client.post("/articles/12/summary/approve", headers=bearer(), json={"editor": "ana"})
    assert again.status_code == 409
    missing = client.post("/articles/99/summary/approve", headers=bearer(),
                          json={"editor": "ana"})
    assert missing.status_code == 404
    empty = client.post("/articles/11/summary/edit", headers=bearer(),
                        json={"editor": "ana", "text": "   "})
    assert empty.status_code == 422
    assert len(records(engine)) == 1


def test_review_records_are_append_only(client: TestClient, engine: Engine) -> None:
    client.post("/articles/13/summary/approve", headers=bearer(), json={"editor": "ana"})
    with pytest.raises(PermissionError), transaction(engine) as session:
        record = session.scalars(select(ReviewRecord)).one()
        record.note = "rewritten history"
        session.flush()
    with pytest.raises(PermissionError), transaction(engine) as session:
        session.delete(session.scalars(select(ReviewRecord)).one())
        session.flush()
    assert records(engine)[0].note is None
