"""The review page over plain HTTP: sign-in and its limits, sessions that end, CSRF, the
page's answers when the database is away, and what the guard lets in."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, select

from harness.api import REVIEW_KEY, TOKEN, bearer, closed_port
from harness.newsroom import add_editor_account, add_version, hold_for_review, insert_articles
from newsum.config import Settings
from newsum.db.engine import transaction
from newsum.db.models import ReviewRecord, Summary
from newsum.server import create_app

SECRET_KEY = REVIEW_KEY
PASSWORD = "ana-has-a-long-password"
DELAY_S = 0.3
ARTICLES = [
    {"id": 21, "title": "Harbour <b>fire</b>", "language": "en",
     "body": "A warehouse fire at the harbour was put out <script>alert(1)</script> by noon."},
    {"id": 22, "title": "Tram line opens", "language": "en",
     "body": "The new tram line to the airport opened on Sunday with free rides."},
]
HELD = {
    21: ("A fire in Porto was put out by 3 pm.",
         [{"kind": "unsupported_name", "value": "Porto"},
          {"kind": "unsupported_number", "value": "3 pm"}]),
    22: ("The tram line opened on Sunday.", []),
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def page_settings(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={
        "api_token": SecretStr(TOKEN), "review_secret_key": SecretStr(SECRET_KEY),
        "review_secure_cookie": False, "review_login_delay_s": DELAY_S, **changes,
    })


@pytest.fixture
def newsroom(worker_settings: Settings, engine: Engine) -> Settings:
    version_id = add_version(engine, "v1")
    insert_articles(engine, worker_settings, ARTICLES)
    hold_for_review(engine, worker_settings, version_id, HELD)
    add_editor_account(engine, "ana", PASSWORD)
    return worker_settings


@pytest.fixture
def client(newsroom: Settings) -> Iterator[TestClient]:
    app = create_app(page_settings(newsroom))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


def csrf(client: TestClient, path: str = "/review/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = CSRF.search(page.text)
    assert match is not None, page.text
    return match.group(1)


def sign_in(client: TestClient, name: str = "ana", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf(client)
    return client.post("/review/login",
                       data={"name": name, "password": password, "csrf_token": token})


def summary_row(engine: Engine, article_id: int) -> Summary:
    with transaction(engine) as session:
        return session.scalars(select(Summary).where(Summary.article_id == article_id)).one()


def test_without_a_session_every_review_path_leads_to_the_login(
    client: TestClient, engine: Engine
) -> None:
    assert client.get("/review").status_code in (307, 308)
    for path in ("/review/", "/review/?id=1"):
        answer = client.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/review/login")
    post = client.post("/review/summaries/1/approve", data={"csrf_token": "x"})
    assert post.status_code in (303, 403)
    assert summary_row(engine, 21).status == "needs_review"


def test_a_failed_login_is_slow_and_the_same_for_an_unknown_name_and_a_wrong_password(
    client: TestClient,
) -> None:
    answers = []
    for name, password in (("nobody", PASSWORD), ("ana", "a-wrong-password"),
                           ("bad name!", "x")):
        started = time.monotonic()
        answer = sign_in(client, name, password)
        took = time.monotonic() - started
        assert took >= DELAY_S, (name, took)
        answers.append(answer)
    assert {a.status_code for a in answers} == {401}
    # Identical apart from the per-page nonce and token, and the name echoed in the form.
    bodies = {re.sub(r'(nonce|value)="[^"]*"', "", a.text) for a in answers}
    assert len(bodies) == 1
    assert "Unknown name or wrong password." in answers[0].text
    assert client.get("/review/").status_code == 303  # still signed out


def test_login_sets_a_strict_http_only_cookie_and_opens_the_queue(
    client: TestClient,
) -> None:
    answer = sign_in(client)
    assert (answer.status_code, answer.headers["location"]) == (303, "/review/")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/review" in cookie
    assert "secure" not in cookie  # review_secure_cookie is off for plain-HTTP tests
    page = client.get("/review/")
    assert page.status_code == 200
    assert "Harbour &lt;b&gt;fire&lt;/b&gt;" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "<mark>Porto</mark>" in page.text and "<mark>3 pm</mark>" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_the_cookie_is_secure_by_default(newsroom: Settings) -> None:
    app = create_app(page_settings(newsroom, review_secure_cookie=True))
    with TestClient(app, follow_redirects=False) as client:
        cookie = sign_in(client).headers["set-cookie"].lower()
    assert "; secure" in cookie


def test_a_post_without_the_sessions_csrf_token_is_refused(
    client: TestClient, engine: Engine
) -> None:
    sign_in(client)
    for data in ({}, {"csrf_token": "forged"}):
        refused = client.post("/review/summaries/1/approve", data=data)
        assert refused.status_code == 403, refused.text
    login_without = client.post("/review/login", data={"name": "ana", "password": PASSWORD})
    assert login_without.status_code == 403
    assert summary_row(engine, 21).status == "needs_review"
    with transaction(engine) as session:
        assert session.scalars(select(ReviewRecord)).all() == []


def test_an_approval_on_the_page_is_recorded_under_the_signed_in_editor(
    client: TestClient, engine: Engine
) -> None:
    sign_in(client)
    row = summary_row(engine, 22)
    token = csrf(client, f"/review/?id={row.id}")
    answer = client.post(f"/review/summaries/{row.id}/approve",
                         data={"csrf_token": token, "expected_text": HELD[22][0]})
    assert answer.status_code == 303, answer.text
    assert summary_row(engine, 22).status == "approved"
    with transaction(engine) as session:
        record = session.scalars(select(ReviewRecord)).one()
        assert (record.editor.name, record.action, record.text_after) == (
            "ana", "approve", HELD[22][0])


def test_a_disabled_editor_is_signed_out_at_the_next_request(
    client: TestClient, engine: Engine
) -> None:
    from newsum.db.editors import set_editor_active

    sign_in(client)
    assert client.get("/review/").status_code == 200
    with transaction(engine) as session:
        set_editor_active(session, "ana", False)
    assert client.get("/review/").status_code == 303


def test_without_a_secret_key_the_page_is_off_and_the_api_still_serves(
    newsroom: Settings,
) -> None:
    settings = page_settings(newsroom).model_copy(update={"review_secret_key": None})
    with TestClient(create_app(settings), follow_redirects=False) as client:
        off = client.get("/review/login")
        assert off.status_code == 503 and "NEWSUM_REVIEW_SECRET_KEY" in off.text
        assert client.get("/articles/21/summary", headers=bearer()).status_code == 200


@pytest.mark.parametrize("path", ["/reviews", "/review-api", "/reviewer/x", "/summaries"])
def test_paths_beside_the_review_page_stay_closed_without_the_token(
    client: TestClient, path: str
) -> None:
    assert client.get(path).status_code == 401


def test_logout_ends_the_session_even_for_a_copy_of_the_cookie(client: TestClient) -> None:
    sign_in(client)
    stolen = dict(client.cookies)
    token = csrf(client, "/review/")
    assert client.post("/review/logout", data={"csrf_token": token}).status_code == 303
    client.cookies.clear()
    client.cookies.update(stolen)
    assert client.get("/review/").status_code == 303


def test_a_new_password_or_disabling_ends_every_session(
    client: TestClient, engine: Engine
) -> None:
    from newsum.db.editors import set_editor_active, set_editor_password
    from newsum.review.logins import hash_password

    sign_in(client)
    with transaction(engine) as session:
        set_editor_password(session, "ana", hash_password("a-brand-new-long-passphrase"))
    assert client.get("/review/").status_code == 303
    sign_in(client, password="a-brand-new-long-passphrase")
    assert client.get("/review/").status_code == 200
    stolen = dict(client.cookies)
    with transaction(engine) as session:
        set_editor_active(session, "ana", False)
        set_editor_active(session, "ana", True)
    client.cookies.update(stolen)
    assert client.get("/review/").status_code == 303


def test_a_session_ends_when_idle_and_after_its_lifetime(newsroom: Settings) -> None:
    idle = page_settings(newsroom, review_idle_minutes=3 / 60)
    with TestClient(create_app(idle), follow_redirects=False) as client:
        sign_in(client)
        assert client.get("/review/").status_code == 200
        time.sleep(3.5)
        assert client.get("/review/").status_code == 303
    short = page_settings(newsroom, review_session_hours=6 / 3600)
    with TestClient(create_app(short), follow_redirects=False) as client:
        sign_in(client)
        signed_in_at = time.monotonic()
        while time.monotonic() - signed_in_at < 3:  # in use all the time, and still it ends
            assert client.get("/review/").status_code == 200
            time.sleep(0.5)
        time.sleep(max(0.0, 6.5 - (time.monotonic() - signed_in_at)))
        assert client.get("/review/").status_code == 303


def test_failed_sign_ins_get_429_with_retry_after_then_the_right_password_works(
    newsroom: Settings,
) -> None:
    limited = page_settings(newsroom, review_login_delay_s=0.0,
                            review_login_limits_account="3/3 seconds")
    with TestClient(create_app(limited), follow_redirects=False) as client:
        answers = [sign_in(client, password=f"wrong-password-{i}").status_code for i in range(5)]
        assert answers == [401, 401, 401, 429, 429]
        refused = sign_in(client)  # even the right password waits out the backoff
        assert refused.status_code == 429
        assert "too many failed sign-ins" in refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 3
        time.sleep(3.2)
        assert sign_in(client).status_code == 303


def test_the_page_answers_503_not_500_when_the_database_is_away(newsroom: Settings) -> None:
    with TestClient(create_app(page_settings(newsroom)), follow_redirects=False) as client:
        sign_in(client)
        cookies = dict(client.cookies)
    away = page_settings(newsroom).model_copy(update={
        "database_url": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/x"})
    with TestClient(create_app(away), follow_redirects=False,
                    raise_server_exceptions=False) as client:
        client.cookies.update(cookies)
        page = client.get("/review/")
        assert page.status_code == 503, page.text
        assert "does not answer" in page.text and "127.0.0.1" not in page.text
        assert client.get("/review/login").status_code == 200
        login = sign_in(client)
        assert login.status_code == 503


@pytest.mark.parametrize("path", ["/review/?id=9223372036854775808", "/review/?id=2147483648"])
def test_review_ids_past_the_largest_are_refused(client: TestClient, path: str) -> None:
    sign_in(client)
    assert client.get(path).status_code == 422
    token = csrf(client, "/review/")
    post = client.post("/review/summaries/9223372036854775808/approve",
                       data={"csrf_token": token})
    assert post.status_code == 422


def test_the_json_api_takes_the_pages_session_with_its_csrf_token(
    client: TestClient, engine: Engine
) -> None:
    sign_in(client)
    who = client.get("/review/api/session")
    assert who.status_code == 200, who.text
    assert who.json()["editor"] == "ana" and who.json()["channel"] == "page"
    no_token = client.post("/review/api/articles/22/summary/approve", json={})
    assert no_token.status_code == 403
    approved = client.post("/review/api/articles/22/summary/approve", json={},
                           headers={"X-CSRF-Token": who.json()["csrf_token"]})
    assert approved.status_code == 200, approved.text
    with transaction(engine) as session:
        record = session.scalars(select(ReviewRecord)).one()
        assert (record.editor.name, record.channel, record.credential_id) == (
            "ana", "page", who.json()["credential_id"])


def test_without_redis_a_sign_in_is_refused_with_503_not_let_through_uncounted(
    newsroom: Settings,
) -> None:
    away = page_settings(newsroom, broker_url=f"redis://127.0.0.1:{closed_port()}/0")
    with TestClient(create_app(away), follow_redirects=False,
                    raise_server_exceptions=False) as client:
        answer = sign_in(client)
        assert answer.status_code == 503, answer.text
        assert client.get("/review/").status_code == 303  # not signed in


def test_the_page_shows_each_findings_article_passage_and_marks_a_wrong_role(
    client: TestClient, newsroom: Settings, engine: Engine
) -> None:
    passage = "The harbour master Lena Ortiz <i>praised</i> the crews, who worked all night."
    insert_articles(engine, newsroom, [
        {"id": 23, "title": "Crews praised", "language": "en", "body": passage},
    ])
    version_id = summary_row(engine, 21).model_version_id
    hold_for_review(engine, newsroom, version_id, {
        23: ("The mayor Lena Ortiz praised the crews.",
             [{"kind": "wrong_role", "value": "mayor", "evidence": passage}]),
    })
    sign_in(client)
    page = client.get(f"/review/?id={summary_row(engine, 23).id}")
    assert page.status_code == 200, page.text
    assert "The <mark>mayor</mark> Lena Ortiz praised the crews." in page.text
    # The passage is shown as text: the article's markup is escaped, never rendered.
    assert "article: The harbour master Lena Ortiz &lt;i&gt;praised&lt;/i&gt;" in page.text
