"""The JSON review API on SQLite and PostgreSQL: the queue, approve, edit, reject with an
editor's own API token, and an audit record for every action naming who did what to
which text, and through which credential."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, select

from harness.api import REVIEW_KEY, TOKEN, bearer
from harness.newsroom import (
    add_editor_account,
    add_editor_token,
    add_version,
    hold_for_review,
    insert_articles,
)
from newsum.config import Settings
from newsum.db.engine import transaction
from newsum.db.models import ReviewRecord, Summary
from newsum.server import create_app
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
    return worker_settings.model_copy(update={
        "api_token": SecretStr(TOKEN), "review_secret_key": SecretStr(REVIEW_KEY)})


@pytest.fixture
def client(review_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(review_settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def ana(engine: Engine) -> dict[str, str]:
    """Headers carrying Ana's own API token."""
    return bearer(add_editor_token(engine, "ana"))


API = "/review/api"


def plain(findings: list[dict[str, str]]) -> list[dict[str, str]]:
    """Findings without the article passage each carries as evidence."""
    return [{"kind": f["kind"], "value": f["value"]} for f in findings]


def rows(engine: Engine) -> dict[int, Summary]:
    with transaction(engine) as session:
        return {row.article_id: row for row in session.scalars(select(Summary))}


def records(engine: Engine) -> list[ReviewRecord]:
    with transaction(engine) as session:
        found = list(session.scalars(select(ReviewRecord).order_by(ReviewRecord.id)))
        for record in found:
            _ = record.editor.name
        return found


def test_the_review_api_needs_an_editors_own_credential(
    client: TestClient, engine: Engine
) -> None:
    assert client.get(f"{API}/summaries").status_code == 401
    refused = client.post(f"{API}/articles/11/summary/approve", json={"editor": "ana"})
    assert refused.status_code == 401
    cms = client.post(f"{API}/articles/11/summary/approve", headers=bearer(),
                      json={"editor": "ana"})
    assert cms.status_code == 403 and "editor's own" in cms.json()["detail"]
    forged = client.post(f"{API}/articles/11/summary/approve",
                         headers=bearer("nse_" + "x" * 43), json={"editor": "ana"})
    assert forged.status_code == 401
    assert rows(engine)[11].status == "needs_review" and records(engine) == []


def test_the_queue_pages_by_keyset_and_filters_by_section_language_and_version(
    client: TestClient, ana: dict[str, str]
) -> None:
    first = client.get(f"{API}/summaries?limit=3", headers=ana).json()
    assert [item["article_id"] for item in first["items"]] == [11, 12, 13]
    assert plain(first["items"][0]["findings"]) == HELD[11][1]
    assert first["items"][0]["title"] == "Port strike ends"
    rest = client.get(f"{API}/summaries?limit=3&after={first['next_after']}", headers=ana).json()
    assert [item["article_id"] for item in rest["items"]] == [14]
    assert rest["next_after"] is None

    def ids(query: str) -> list[int]:
        answer = client.get(f"{API}/summaries?{query}", headers=ana)
        assert answer.status_code == 200, answer.text
        return [item["article_id"] for item in answer.json()["items"]]

    assert ids("section=economy") == [11, 14]
    assert ids("language=pt-BR") == [12]
    assert ids("model_version=v1&section=culture") == [13]
    assert ids("status=approved") == []
    assert client.get(f"{API}/summaries?model_version=v9", headers=ana).status_code == 404
    assert client.get(f"{API}/summaries?limit=101", headers=ana).status_code == 422
    assert client.get(f"{API}/summaries?status=bogus", headers=ana).status_code == 422
    assert client.get(f"{API}/summaries?after={2**63}", headers=ana).status_code == 422


def test_approve_edit_and_reject_change_the_summary_and_each_leaves_an_audit_record(
    client: TestClient, engine: Engine, review_settings: Settings, ana: dict[str, str]
) -> None:
    approved = client.post(f"{API}/articles/13/summary/approve", headers=ana,
                           json={"note": "west wing is fine"})
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["publishable"]) == ("approved", True)

    held_text = "Dock workers in Santos ended a 10-day strike after a pay deal."
    held = client.post(f"{API}/articles/11/summary/edit", headers=ana,
                       json={"text": held_text}).json()
    # The check ran on the editor's text: "10" is not in the article, so the edit is kept
    # but not published; it waits with its findings for a correction.
    assert (held["status"], held["publishable"], held["text"]) == (
        "needs_review", False, held_text)
    assert {"kind": "unsupported_number", "value": "10"} in plain(held["findings"])
    edit_text = "Dock workers in Santos ended a nine-day strike on Friday after a pay deal."
    edited = client.post(f"{API}/articles/11/summary/edit", headers=ana,
                         json={"text": edit_text}).json()
    assert (edited["status"], edited["publishable"], edited["text"]) == ("edited", True, edit_text)
    assert edited["findings"] == []

    rejected = client.post(f"{API}/articles/14/summary/reject", headers=ana,
                           json={"regenerate": True}).json()
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
    assert {(record.channel, record.credential_id) for record in audit.values()} == {
        ("token", "1")}
    assert (audit[13].action, audit[13].text_before, audit[13].text_after, audit[13].note) == (
        "approve", HELD[13][0], HELD[13][0], "west wing is fine")
    first_edit = next(r for r in records(engine) if r.article_id == 11)
    assert (first_edit.status_before, first_edit.status_after) == ("needs_review", "needs_review")
    assert (first_edit.text_before, first_edit.text_after) == (HELD[11][0], held_text)
    assert first_edit.findings_before == HELD[11][1]
    assert plain(first_edit.findings_after) == plain(held["findings"])
    assert (audit[11].action, audit[11].status_before, audit[11].status_after) == (
        "edit", "needs_review", "edited")
    assert (audit[11].text_before, audit[11].text_after) == (held_text, edit_text)
    assert audit[11].findings_after is None
    assert (audit[14].action, audit[14].text_after, audit[14].regenerate) == ("reject", None, True)

    trail = client.get(f"{API}/articles/11/summary/reviews", headers=ana).json()
    assert [(r["editor"], r["action"], r["text_after"], r["channel"], r["credential_id"])
            for r in trail] == [("ana", "edit", held_text, "token", "1"),
                                ("ana", "edit", edit_text, "token", "1")]


def test_a_token_acts_as_its_own_editor_whatever_the_body_names(
    client: TestClient, engine: Engine
) -> None:
    add_editor_account(engine, "bruno", "bruno-has-a-long-password")
    bruno = bearer(add_editor_token(engine, "bruno"))
    answer = client.post(f"{API}/articles/13/summary/approve", headers=bruno,
                         json={"editor": "ana"})
    assert answer.status_code == 200, answer.text
    assert [record.editor.name for record in records(engine)] == ["bruno"]


def test_a_revoked_token_or_a_disabled_editor_is_refused_and_nothing_changes(
    client: TestClient, engine: Engine
) -> None:
    from newsum.db.editors import list_tokens, revoke_token, set_editor_active

    revoked = bearer(add_editor_token(engine, "ana"))
    with transaction(engine) as session:
        revoke_token(session, list_tokens(session, "ana")[0].id)
    assert client.post(f"{API}/articles/11/summary/approve", headers=revoked,
                       json={}).status_code == 401
    live = bearer(add_editor_token(engine, "ana"))
    with transaction(engine) as session:
        set_editor_active(session, "ana", False)
    assert client.post(f"{API}/articles/11/summary/approve", headers=live,
                       json={}).status_code == 401
    assert rows(engine)[11].status == "needs_review" and records(engine) == []


@pytest.mark.parametrize("text", [
    "Dock workers <b>ended</b> the strike.",
    "Dock workers ended the strike &lt;today&gt;.",
    "Read more at https://example.org/strike.",
    "Read more at www.example.org.",
    "Dock workers ended the [strike](javascript:alert(1)).",
])
def test_an_edit_with_html_or_a_link_is_refused(
    client: TestClient, engine: Engine, ana: dict[str, str], text: str
) -> None:
    answer = client.post(f"{API}/articles/11/summary/edit", headers=ana, json={"text": text})
    assert answer.status_code == 422, answer.text
    assert rows(engine)[11].status == "needs_review" and records(engine) == []


def test_an_action_that_no_longer_applies_is_a_conflict(
    client: TestClient, engine: Engine, ana: dict[str, str]
) -> None:
    changed = client.post(f"{API}/articles/12/summary/approve", headers=ana,
                          json={"expected_text": "An older text."})
    assert changed.status_code == 409, changed.text
    first = client.post(f"{API}/articles/12/summary/approve", headers=ana,
                        json={"expected_text": HELD[12][0]})
    assert first.status_code == 200, first.text
    again = client.post(f"{API}/articles/12/summary/approve", headers=ana, json={})
    assert again.status_code == 409
    missing = client.post(f"{API}/articles/99/summary/approve", headers=ana, json={})
    assert missing.status_code == 404
    empty = client.post(f"{API}/articles/11/summary/edit", headers=ana, json={"text": "   "})
    assert empty.status_code == 422
    assert len(records(engine)) == 1


def test_review_records_are_append_only(
    client: TestClient, engine: Engine, ana: dict[str, str]
) -> None:
    client.post(f"{API}/articles/13/summary/approve", headers=ana, json={})
    with pytest.raises(PermissionError), transaction(engine) as session:
        record = session.scalars(select(ReviewRecord)).one()
        record.note = "rewritten history"
        session.flush()
    with pytest.raises(PermissionError), transaction(engine) as session:
        session.delete(session.scalars(select(ReviewRecord)).one())
        session.flush()
    assert records(engine)[0].note is None
