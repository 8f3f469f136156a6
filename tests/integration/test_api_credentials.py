"""One credential, one job, through a real ``newsum api`` process on PostgreSQL and Redis:
the CMS's token cannot review, an editor's token acts as that editor only, the audit
trail says which credential acted, sign-ins are limited, sessions end, and weak secrets
stop the start."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from harness.api import REVIEW_KEY, TOKEN, bearer, free_port, running_api, signed
from harness.newsroom import add_version, hold_for_review, insert_articles
from harness.processes import REPO, process_env, run_cli
from newsum.config import Settings
from newsum.db.engine import transaction
from newsum.db.models import ReviewRecord, Summary

PASSWORD = "lantern-orchard-copper-seven"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ARTICLES = [
    {"id": i, "title": f"Ferry timetable {i}", "language": "en",
     "body": f"The ferry to the island will run every {i} hours from Monday, the port said."}
    for i in range(1, 5)
]
HELD = {i: (f"The ferry will run every {i + 1} hours.",
            [{"kind": "unsupported_number", "value": str(i + 1)}]) for i in range(1, 5)}


@pytest.fixture
def newsroom(pipeline_settings: Settings, pg_engine: Engine) -> Settings:
    version_id = add_version(pg_engine, "v1")
    insert_articles(pg_engine, pipeline_settings, ARTICLES)
    hold_for_review(pg_engine, pipeline_settings, version_id, HELD)
    settings = pipeline_settings.model_copy(update={
        "review_secret_key": SecretStr(REVIEW_KEY), "review_secure_cookie": False,
        "review_login_delay_s": 0.05,
    })
    for name in ("ana", "bruno"):
        added = run_cli(settings, "editors", "add", name, input=f"{name}-{PASSWORD}\n")
        assert added.returncode == 0, added.stderr
    return settings


def new_token(settings: Settings, name: str) -> tuple[int, str]:
    """(id, secret) of a token made with `newsum editors token NAME`."""
    made = run_cli(settings, "editors", "token", name)
    assert made.returncode == 0, made.stderr
    token_id = int(re.search(r"token (\d+) for", made.stdout).group(1))  # type: ignore[union-attr]
    return token_id, made.stdout.strip().splitlines()[-1]


def sign_in(client: httpx.Client, name: str, password: str,
            address: str | None = None) -> httpx.Response:
    page = client.get("/review/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post("/review/login", headers=headers,
                       data={"name": name, "password": password, "csrf_token": token})


def records(engine: Engine) -> list[tuple[str, str, str | None, str | None]]:
    with transaction(engine) as session:
        return [(r.editor.name, str(r.action), r.channel, r.credential_id)
                for r in session.scalars(select(ReviewRecord).order_by(ReviewRecord.id))]


def test_the_cms_token_cannot_review_and_an_editors_token_acts_as_that_editor_only(
    newsroom: Settings, pg_engine: Engine
) -> None:
    ana_id, ana = new_token(newsroom, "ana")
    with running_api(newsroom) as base, httpx.Client(base_url=base, timeout=15) as client:
        routes = [("POST", f"/review/api/articles/1/summary/{a}") for a in
                  ("approve", "edit", "reject")]
        routes += [("GET", "/review/api/summaries"), ("GET", "/review/api/session"),
                   ("GET", "/review/api/articles/1/summary/reviews"), ("GET", "/review/"),
                   ("POST", "/review/summaries/1/approve")]
        body = {"editor": "ana", "text": "The ferry runs every hour."}
        for method, path in routes:
            for headers in (bearer(), signed(method, path)):
                answer = client.request(method, path, headers=headers, json=body)
                assert answer.status_code in (401, 403), (method, path, answer.text)
        # The old shape of the review API is gone: the CMS token reaches nothing there.
        old = client.post("/articles/1/summary/approve", headers=bearer(), json=body)
        assert old.status_code == 404

        acted = client.post("/review/api/articles/1/summary/approve", json={"editor": "bruno"},
                            headers=bearer(ana))
        assert acted.status_code == 200, acted.text
        trail = client.get("/review/api/articles/1/summary/reviews", headers=bearer(ana)).json()
        assert [(r["editor"], r["channel"], r["credential_id"]) for r in trail] == [
            ("ana", "token", str(ana_id))]

        revoked = run_cli(newsroom, "editors", "revoke-token", str(ana_id))
        assert revoked.returncode == 0, revoked.stderr
        refused = client.post("/review/api/articles/2/summary/approve", json={},
                              headers=bearer(ana))
        assert refused.status_code == 401

        signed_in = sign_in(client, "bruno", f"bruno-{PASSWORD}")
        assert signed_in.status_code == 303, signed_in.text
        who = client.get("/review/api/session").json()
        edited = client.post("/review/api/articles/3/summary/edit",
                             json={"text": "The ferry to the island will run from Monday."},
                             headers={"X-CSRF-Token": who["csrf_token"]})
        assert edited.status_code == 200, edited.text
    assert records(pg_engine) == [("ana", "approve", "token", str(ana_id)),
                                  ("bruno", "edit", "page", who["credential_id"])]
    with transaction(pg_engine) as session:
        states = {r.article_id: r.status for r in session.scalars(select(Summary))}
    assert states == {1: "approved", 2: "needs_review", 3: "edited", 4: "needs_review"}


@pytest.mark.parametrize("addresses", ["one", "several"])
def test_thirty_wrong_passwords_get_429_before_the_thirtieth_and_then_the_right_one_works(
    newsroom: Settings, addresses: str
) -> None:
    env = {"NEWSUM_REVIEW_LOGIN_LIMITS_ACCOUNT": "5/4 seconds"}
    with running_api(newsroom, **env) as base, httpx.Client(base_url=base, timeout=15) as client:
        statuses = []
        for attempt in range(30):
            address = "203.0.113.7" if addresses == "one" else f"198.51.100.{attempt + 1}"
            answer = sign_in(client, "ana", f"not-the-password-{attempt}", address)
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                assert "too many failed sign-ins" in answer.text
                assert int(answer.headers["retry-after"]) >= 1
        assert 429 in statuses[:29] and set(statuses) == {401, 429}, statuses
        assert statuses.index(429) <= 5
        # Another account from those addresses is not locked out by ana's count...
        assert sign_in(client, "bruno", f"bruno-{PASSWORD}", "192.0.2.50").status_code == 303
        time.sleep(4.5)  # ...and ana's right password works once the backoff has passed
        assert sign_in(client, "ana", f"ana-{PASSWORD}", "192.0.2.51").status_code == 303


def test_after_logout_a_new_password_or_disabling_the_old_cookie_is_refused(
    newsroom: Settings,
) -> None:
    def signed_in_cookie(client: httpx.Client, password: str) -> dict[str, str]:
        assert sign_in(client, "ana", password).status_code == 303
        assert client.get("/review/").status_code == 200
        return dict(client.cookies)

    def refused(base: str, cookies: dict[str, str]) -> bool:
        with httpx.Client(base_url=base, timeout=15, cookies=cookies) as thief:
            page = thief.get("/review/")
            api = thief.get("/review/api/session")
        return page.status_code == 303 and api.status_code == 401

    with running_api(newsroom) as base, httpx.Client(base_url=base, timeout=15) as client:
        cookie = signed_in_cookie(client, f"ana-{PASSWORD}")
        token = CSRF.search(client.get("/review/").text).group(1)  # type: ignore[union-attr]
        assert client.post("/review/logout", data={"csrf_token": token}).status_code == 303
        assert refused(base, cookie)

        cookie = signed_in_cookie(client, f"ana-{PASSWORD}")
        changed = run_cli(newsroom, "editors", "password", "ana",
                          input="a-fresh-passphrase-for-ana\n")
        assert changed.returncode == 0, changed.stderr
        assert refused(base, cookie)

        cookie = signed_in_cookie(client, "a-fresh-passphrase-for-ana")
        assert run_cli(newsroom, "editors", "disable", "ana").returncode == 0
        assert run_cli(newsroom, "editors", "enable", "ana").returncode == 0
        assert refused(base, cookie)


def test_a_common_or_short_password_is_refused_by_newsum_editors(newsroom: Settings) -> None:
    for password in ("Password2024!", "qwerty123", "short-pw", "aaaaaaaaaaaaaaaa"):
        added = run_cli(newsroom, "editors", "add", "carla", input=password + "\n")
        assert added.returncode == 1, password
        assert added.stderr.startswith("error: ") and len(added.stderr.splitlines()) == 1


@pytest.mark.parametrize(("variables", "expected"), [
    ({"NEWSUM_API_TOKEN": "short-cms-token"}, "NEWSUM_API_TOKEN must hold at least 32"),
    ({"NEWSUM_API_TOKEN": TOKEN, "NEWSUM_REVIEW_SECRET_KEY": TOKEN},
     "NEWSUM_REVIEW_SECRET_KEY equals NEWSUM_API_TOKEN"),
    ({"NEWSUM_API_TOKEN": TOKEN, "NEWSUM_METRICS_TOKEN": "m" * 31},
     "NEWSUM_METRICS_TOKEN must hold at least 32"),
    ({"NEWSUM_API_TOKEN": TOKEN, "NEWSUM_FLOWER_PASSWORD": "flower-pw"},
     "NEWSUM_FLOWER_PASSWORD must hold at least 16"),
])
def test_weak_or_equal_secrets_stop_the_api_with_one_line(
    pipeline_settings: Settings, variables: dict[str, str], expected: str
) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "newsum", "api", "--port", str(free_port())],
        cwd=REPO, env=process_env(pipeline_settings, **variables),
        capture_output=True, text=True, timeout=60,
    )
    assert finished.returncode == 1
    (line,) = finished.stderr.strip().splitlines()
    assert expected in line and 'secrets.token_urlsafe(32)' in line, line
