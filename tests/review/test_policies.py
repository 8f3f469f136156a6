"""What editors may choose and write: the password policy and plain-text summaries; and
what every deployment must set: secrets that are long and each its own."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from newsum.config import Settings, secret_problem
from newsum.review.logins import common_passwords, password_problem
from newsum.review.plain_text import markup_problem

LONG = "a-secret-of-enough-length-0123456789"


@pytest.mark.parametrize("password", [
    "password", "short-one", "password1234", "Password2024!", "!!qwertyuiop!!",
    "123456789012", "correcthorsebatterystaple", "aaaaaaaaaaaaaaaaaaaa", "abababababab",
])
def test_short_common_or_repetitive_passwords_are_refused(password: str) -> None:
    assert password_problem(password) is not None


def test_a_password_built_from_the_name_is_refused() -> None:
    assert password_problem("marianamariana", "mariana") is not None
    assert password_problem("mariana-password", "mariana") is not None


@pytest.mark.parametrize("password", [
    "quiet-harbour-morning-42", "ana-has-a-long-password", "Tram 14 leaves at dawn",
])
def test_a_long_uncommon_password_is_accepted(password: str) -> None:
    assert password_problem(password, "ana") is None


def test_the_shipped_list_holds_the_obvious_ones() -> None:
    assert {"password", "12345678", "qwerty123", "letmein", "iloveyou"} <= common_passwords()


@pytest.mark.parametrize("text", [
    "<b>Strike</b> ends.", "A <script>alert(1)</script> summary.", "Ends &amp; begins.",
    "Ends &#60;now&#62;.", "<!-- hidden --> Strike ends.", "See http://example.org",
    "See HTTPS://example.org/x", "See www.example.org", "[the deal](https://e.org)",
    "Click javascript:alert(1)", "Mail mailto:desk@example.org",
])
def test_html_and_links_are_refused_in_an_edit(text: str) -> None:
    assert markup_problem(text) is not None


@pytest.mark.parametrize("text", [
    "Fewer than 3 < 5 ferries ran.", "AT&T and R&D budgets rose.", "Prices rose 5% (to $3).",
    "The mayor, e.g. in Porto, said no.", "Rail fares rise by four percent in March.",
])
def test_plain_text_with_symbols_passes(text: str) -> None:
    assert markup_problem(text) is None


def test_short_or_shared_secrets_are_named_with_how_to_make_one() -> None:
    assert secret_problem(Settings()) is None
    short = Settings.model_construct(api_token=SecretStr("x" * 31))
    assert "NEWSUM_API_TOKEN must hold at least 32" in (secret_problem(short) or "")
    shared = Settings().model_copy(update={"api_token": SecretStr(LONG),
                                           "metrics_token": SecretStr(LONG)})
    problem = secret_problem(shared) or ""
    assert "NEWSUM_METRICS_TOKEN equals NEWSUM_API_TOKEN" in problem
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in problem
    flower = Settings().model_copy(update={"flower_password": SecretStr("sixteen-chars-ok")})
    assert secret_problem(flower) is None
