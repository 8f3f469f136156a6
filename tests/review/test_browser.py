"""An editor clears the review queue in a real browser: headless Chromium (Debian's build,
driven by Playwright) against a real ``newsum api`` process on PostgreSQL, an account made
with ``newsum editors add``, keyboard shortcuts for the fast pass."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from harness.api import running_api
from harness.newsroom import add_version, hold_for_review, insert_articles
from harness.processes import run_cli
from newsum.config import Settings
from newsum.db.engine import transaction
from newsum.db.models import ReviewRecord, Summary

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "quiet-harbour-morning-42"
ARTICLES = [
    {"id": 31, "title": "Warehouse fire at the harbour", "language": "en", "section": "city",
     "body": "A warehouse fire at the harbour was put out by noon on Tuesday.\n"
             "Nobody was hurt, the fire service said."},
    {"id": 32, "title": "Night buses return", "language": "en", "section": "city",
     "body": "Night buses return to the northern suburbs from Friday, the council said."},
]
HELD = {
    31: ("A fire in Porto was put out by noon on Wednesday.",
         [{"kind": "unsupported_name", "value": "Porto"},
          {"kind": "unsupported_date", "value": "Wednesday"}]),
    32: ("Night buses return to the northern suburbs from Friday.",
         [{"kind": "too_short", "value": "8 words (min 10)"}]),
}
EDITED = "A warehouse fire at the harbour was put out by noon; 40 firefighters helped."
CORRECTED = "A warehouse fire at the harbour was put out by noon on Tuesday."


@pytest.fixture
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def settings(worker_settings: Settings, engine: Engine) -> Settings:
    version_id = add_version(engine, "v1")
    insert_articles(engine, worker_settings, ARTICLES)
    hold_for_review(engine, worker_settings, version_id, HELD)
    return worker_settings.model_copy(update={
        "review_secret_key": SecretStr("browser-test-session-key-0123456789abcdef"),
        "review_secure_cookie": False,
    })


def test_an_editor_signs_in_edits_one_summary_and_approves_another_by_keyboard(
    browser, settings: Settings, engine: Engine  # type: ignore[no-untyped-def]
) -> None:
    added = run_cli(settings, "editors", "add", "ana", input=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr

    with running_api(settings) as base:
        page = browser.new_page()
        page.goto(f"{base}/review/")
        assert page.url.endswith("/review/login")
        page.fill("#name", "ana")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.inner_text("h2 >> nth=1") == "Warehouse fire at the harbour"
        marks = page.locator("#summary-text mark").all_inner_texts()
        assert marks == ["Porto", "Wednesday"]

        with page.expect_navigation():
            page.keyboard.press("j")
        assert "Night buses" in page.inner_text("section.article")
        with page.expect_navigation():
            page.keyboard.press("k")
        assert "Warehouse fire" in page.inner_text("section.article")

        page.keyboard.press("e")
        assert page.evaluate("document.activeElement.id") == "edit-text"
        page.fill("#edit-text", EDITED)
        with page.expect_navigation():
            page.keyboard.press("Control+Enter")
        flash = page.inner_text("#flash")
        # The check holds the edit ("40" is not in the article): kept, not published.
        assert "Article 31: needs_review." in flash and "unsupported_number: 40" in flash
        assert "Night buses" in page.inner_text("section.article")  # on to the next one

        with page.expect_navigation():
            page.keyboard.press("a")
        assert "Article 32: approved." in page.inner_text("#flash")
        # The held edit is back in the queue, its finding marked, until it is corrected.
        assert "Warehouse fire" in page.inner_text("section.article")
        assert page.locator("#summary-text mark").all_inner_texts() == ["40"]
        page.keyboard.press("e")
        page.fill("#edit-text", CORRECTED)
        with page.expect_navigation():
            page.keyboard.press("Control+Enter")
        assert "Article 31: edited." in page.inner_text("#flash")
        assert "Nothing to review." in page.inner_text("aside.queue")
        page.close()

    with transaction(engine) as session:
        rows = {row.article_id: row for row in session.scalars(select(Summary))}
        records = list(session.scalars(select(ReviewRecord).order_by(ReviewRecord.id)))
        steps = [(r.article_id, r.editor.name, str(r.action), r.status_before, r.status_after,
                  r.text_before, r.text_after, r.findings_before, r.findings_after)
                 for r in records]
    trail = {step[0]: step[1:] for step in steps}  # the latest per article
    assert (rows[31].status, rows[31].text) == ("edited", CORRECTED)
    assert (rows[32].status, rows[32].text) == ("approved", HELD[32][0])
    held = steps[0][1:]
    assert held[:6] == ("ana", "edit", "needs_review", "needs_review", HELD[31][0], EDITED)
    assert held[6] == HELD[31][1]
    assert {"kind": "unsupported_number", "value": "40"} in held[7]
    assert trail[31][:6] == ("ana", "edit", "needs_review", "edited", EDITED, CORRECTED)
    assert trail[31][7] is None
    assert trail[32] == ("ana", "approve", "needs_review", "approved", HELD[32][0], HELD[32][0],
                         HELD[32][1], HELD[32][1])
