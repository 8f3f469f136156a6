"""Property test of the HTTP API: whatever the path, method, headers or body, never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import Engine

from harness.api import TOKEN, signed
from harness.newsroom import add_version, insert_articles
from newsum.config import Settings
from newsum.server import create_app

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
segment = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["1", "2", "0", "-0", "01", "1.0", "+1", " 1", "1e2", "0x1", "", ".."]),
    st.text(max_size=20),
)
suffix = st.sampled_from(["summarize", "summary", "", "summarize/", "x"])
credentials = st.one_of(
    st.just({}),
    st.just({"Authorization": f"Bearer {TOKEN}"}),
    header_text.map(lambda value: {"Authorization": value}),
    st.fixed_dictionaries(
        {"X-Newsum-Timestamp": header_text, "X-Newsum-Signature": header_text}
    ),
)
bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=200),
    st.sampled_from([b"{}", b'{"force": true}', b'{"model_version": null}', b"null", b"[]"]),
)
content_types = st.sampled_from(
    [None, "application/json", "text/plain", "multipart/form-data", "application/json; x=\x7e"]
)


@pytest.fixture
def client(worker_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    add_version(engine, "v1")
    insert_articles(engine, worker_settings, [{"id": 1, "title": "T", "body": "B"}])
    api_settings = worker_settings.model_copy(update={"api_token": SecretStr(TOKEN)})
    with TestClient(create_app(api_settings), raise_server_exceptions=False) as test_client:
        yield test_client


@settings(
    max_examples=150,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
    segment=segment,
    suffix=suffix,
    query=st.sampled_from(["", "?force=true", "?force=maybe", "?model_version=v1", "?a=%ff"]),
    headers=credentials,
    body=bodies,
    content_type=content_types,
)
def test_no_request_makes_the_api_fail_with_a_server_error(
    client: TestClient,
    method: str,
    segment: str,
    suffix: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    content_type: str | None,
) -> None:
    path = f"/articles/{quote(segment, safe='')}/{suffix}{query}"
    sent = dict(headers)
    if content_type:
        sent["Content-Type"] = content_type
    answer = client.request(method, path, headers=sent, content=body)
    assert answer.status_code < 500, (method, path, answer.status_code, answer.text)
    if answer.status_code < 400:
        assert headers.get("Authorization") == f"Bearer {TOKEN}"


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segment=segment, body=bodies)
def test_a_correctly_signed_request_is_never_a_server_error(
    client: TestClient, segment: str, body: bytes
) -> None:
    path = f"/articles/{quote(segment, safe='')}/summarize"
    answer = client.post(path, content=body, headers=signed("POST", path, body))
    assert answer.status_code < 500, (path, answer.status_code, answer.text)
