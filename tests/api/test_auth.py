"""The API's credential check on its own: bearer, HMAC, replay window, replay record."""

from __future__ import annotations

import pytest
import redis
from pydantic import SecretStr

from harness.api import TOKEN, bearer, closed_port, signed
from newsum.api.auth import (
    AuthFailed,
    MemorySeenSignatures,
    RedisSeenSignatures,
    RequestAuthenticator,
    redis_client,
)
from newsum.errors import ApiMisconfigured, BrokerUnavailable
from tests.conftest import REDIS_SERVER

NOW = 1_800_000_000
TARGET = b"/articles/7/summarize?force=true"


def authenticator(seen: object | None = None) -> RequestAuthenticator:
    return RequestAuthenticator(
        SecretStr(TOKEN), seen or MemorySeenSignatures(), clock=lambda: NOW  # type: ignore[arg-type]
    )


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@pytest.mark.parametrize("token", [None, SecretStr(""), SecretStr("   ")])
def test_no_configured_token_refuses_to_build_the_authenticator(token: SecretStr | None) -> None:
    with pytest.raises(ApiMisconfigured, match="NEWSUM_API_TOKEN"):
        RequestAuthenticator(token, MemorySeenSignatures())


def test_the_right_bearer_token_passes_in_any_scheme_case() -> None:
    auth = authenticator()
    auth.verify("POST", TARGET, lower(bearer()), b"")
    auth.verify("POST", TARGET, {"authorization": f"bearer {TOKEN}"}, b"")


@pytest.mark.parametrize(
    "value", ["", "Bearer", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN]
)
def test_a_wrong_bearer_header_fails_without_echoing_the_secret(value: str) -> None:
    with pytest.raises(AuthFailed) as failure:
        authenticator().verify("POST", TARGET, {"authorization": value}, b"")
    assert TOKEN not in str(failure.value)


def test_no_credentials_at_all_fail_and_say_what_to_send() -> None:
    with pytest.raises(AuthFailed, match="Bearer"):
        authenticator().verify("GET", b"/metrics", {}, b"")


def test_a_fresh_signature_passes_once_and_its_replay_fails() -> None:
    auth = authenticator()
    headers = lower(signed("POST", TARGET.decode(), b'{"force": true}', timestamp=NOW))
    auth.verify("POST", TARGET, headers, b'{"force": true}')
    with pytest.raises(AuthFailed, match="replayed"):
        auth.verify("POST", TARGET, headers, b'{"force": true}')


@pytest.mark.parametrize(
    ("method", "target", "body"),
    [("GET", TARGET, b"{}"), ("POST", b"/articles/7/summarize", b"{}"), ("POST", TARGET, b"{ }")],
)
def test_a_signature_binds_method_target_and_body(method: str, target: bytes, body: bytes) -> None:
    headers = lower(signed("POST", TARGET.decode(), b"{}", timestamp=NOW))
    with pytest.raises(AuthFailed, match="invalid signature"):
        authenticator().verify(method, target, headers, body)


def test_a_signature_made_with_another_key_fails() -> None:
    headers = lower(signed("POST", TARGET.decode(), token="not-the-secret", timestamp=NOW))
    with pytest.raises(AuthFailed, match="invalid signature"):
        authenticator().verify("POST", TARGET, headers, b"")


@pytest.mark.parametrize("offset", [-301, 301, -10_000])
def test_a_timestamp_outside_the_window_fails_even_when_correctly_signed(offset: int) -> None:
    headers = lower(signed("POST", TARGET.decode(), timestamp=NOW + offset))
    with pytest.raises(AuthFailed, match="300 s"):
        authenticator().verify("POST", TARGET, headers, b"")


@pytest.mark.parametrize("offset", [-300, 300])
def test_a_timestamp_at_the_edge_of_the_window_passes(offset: int) -> None:
    headers = lower(signed("POST", TARGET.decode(), timestamp=NOW + offset))
    authenticator().verify("POST", TARGET, headers, b"")


@pytest.mark.parametrize("stamp", ["", "abc", "-5", "1.5e9", "١٢٣", "9" * 40])
def test_a_timestamp_that_is_not_unix_seconds_fails(stamp: str) -> None:
    headers = {"x-newsum-timestamp": stamp, "x-newsum-signature": "sha256=00"}
    with pytest.raises(AuthFailed, match="unix seconds"):
        authenticator().verify("POST", TARGET, headers, b"")


def test_a_signature_without_its_scheme_prefix_fails() -> None:
    headers = lower(signed("POST", TARGET.decode(), timestamp=NOW))
    headers["x-newsum-signature"] = headers["x-newsum-signature"].removeprefix("sha256=")
    with pytest.raises(AuthFailed, match="invalid signature"):
        authenticator().verify("POST", TARGET, headers, b"")


def test_memory_record_forgets_a_signature_after_its_ttl() -> None:
    clock = [0.0]
    seen = MemorySeenSignatures(clock=lambda: clock[0])
    assert seen.first_use("abc", 10)
    assert not seen.first_use("abc", 10)
    clock[0] = 10.5
    assert seen.first_use("abc", 10)


def test_redis_record_is_shared_by_two_api_processes_and_expires(redis_prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_SERVER)
    first = RedisSeenSignatures(redis_client(REDIS_SERVER), redis_prefix)
    second = RedisSeenSignatures(redis_client(REDIS_SERVER), redis_prefix)
    headers = lower(signed("POST", TARGET.decode(), timestamp=NOW))
    authenticator(first).verify("POST", TARGET, headers, b"")
    with pytest.raises(AuthFailed, match="replayed"):
        authenticator(second).verify("POST", TARGET, headers, b"")
    keys = list(client.scan_iter(match=f"{redis_prefix}newsum:api:signature:*"))
    assert len(keys) == 1
    assert 0 < client.ttl(keys[0]) <= 600
    client.close()


def test_redis_down_fails_a_signed_request_closed_not_open() -> None:
    seen = RedisSeenSignatures(redis_client(f"redis://127.0.0.1:{closed_port()}/0"), "x:")
    headers = lower(signed("POST", TARGET.decode(), timestamp=NOW))
    with pytest.raises(BrokerUnavailable, match="replays"):
        authenticator(seen).verify("POST", TARGET, headers, b"")

