"""Authentication of the CMS's requests to the HTTP API: a bearer token or an HMAC signature.

Both use the one shared secret ``settings.api_token``. A signed request carries

    X-Newsum-Timestamp: <unix seconds>
    X-Newsum-Signature: sha256=<hex HMAC-SHA256(key=token, msg)>

where ``msg`` is the bytes ``f"{timestamp}.{METHOD}.{target}."`` followed by the raw body,
and ``target`` is the request path exactly as sent, plus ``?query`` when there is one
(signing the query keeps ``?force=true`` from being added to a captured request). A
signature is accepted once, and only while its timestamp is within the replay window of
the server's clock. Every comparison of secret material is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import redis
from pydantic import SecretStr

from newsum.broker.redis import redis_client
from newsum.config import is_redis_url
from newsum.errors import ApiMisconfigured, BrokerUnavailable

REPLAY_WINDOW_S = 300
TIMESTAMP_HEADER = "x-newsum-timestamp"
SIGNATURE_HEADER = "x-newsum-signature"
SIGNATURE_SCHEME = "sha256="


class AuthFailed(Exception):
    """A request's credentials are missing or wrong; the message never holds a secret."""


def signing_message(timestamp: str, method: str, target: bytes, body: bytes) -> bytes:
    """The exact bytes a client signs for one request."""
    return f"{timestamp}.{method.upper()}.".encode("ascii") + target + b"." + body


def sign(token: str, timestamp: str, method: str, target: bytes, body: bytes) -> str:
    """The ``X-Newsum-Signature`` header value for a request (what a CMS sends)."""
    digest = hmac.new(
        token.encode("utf-8"), signing_message(timestamp, method, target, body), hashlib.sha256
    ).hexdigest()
    return SIGNATURE_SCHEME + digest


class SeenSignatures(Protocol):
    """Remembers signatures for a while; ``first_use`` is atomic across API processes."""

    def first_use(self, signature: str, ttl_s: int) -> bool:
        """True the first time ``signature`` is seen within ``ttl_s`` seconds."""
        ...


class RedisSeenSignatures:
    """Signatures kept in Redis (SET NX EX), shared by every API process of a deployment."""

    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        self._client = client
        self._key_prefix = key_prefix

    def first_use(self, signature: str, ttl_s: int) -> bool:
        key = f"{self._key_prefix}newsum:api:signature:{signature}"
        try:
            return bool(self._client.set(key, b"1", nx=True, ex=ttl_s))
        except redis.RedisError as exc:
            # Failing closed: without the record a captured request could be replayed.
            raise BrokerUnavailable(
                "cannot check signed requests for replays: Redis is unreachable"
            ) from exc


@dataclass
class MemorySeenSignatures:
    """Signatures kept in this process (a deployment without Redis runs one API process)."""

    clock: Callable[[], float] = time.monotonic
    # Insertion order is expiry order (one TTL for all), so expired entries sit in front.
    _expiry: OrderedDict[str, float] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def first_use(self, signature: str, ttl_s: int) -> bool:
        now = self.clock()
        with self._lock:
            while self._expiry and next(iter(self._expiry.values())) <= now:
                self._expiry.popitem(last=False)
            if signature in self._expiry:
                return False
            self._expiry[signature] = now + ttl_s
            return True


def seen_signatures_for(broker_url: str, key_prefix: str,
                        timeout_s: float = 1.0) -> SeenSignatures:
    """Redis when the broker is Redis (shared by all API processes), else in memory."""
    if is_redis_url(broker_url):
        return RedisSeenSignatures(redis_client(broker_url, timeout_s), key_prefix)
    return MemorySeenSignatures()


class RequestAuthenticator:
    """Checks one request's credentials against the shared secret."""

    def __init__(
        self,
        token: SecretStr | None,
        seen: SeenSignatures,
        *,
        window_s: int = REPLAY_WINDOW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        secret = token.get_secret_value() if token is not None else ""
        if not secret.strip():
            raise ApiMisconfigured(
                "the HTTP API needs a shared secret: set NEWSUM_API_TOKEN (it is never"
                " served without authentication)"
            )
        self._key = secret.encode("utf-8")
        self._seen = seen
        self._window_s = window_s
        self._clock = clock

    def verify(
        self, method: str, target: bytes, headers: Mapping[str, str], body: bytes
    ) -> None:
        """Return when the request is authentic; raise AuthFailed (or BrokerUnavailable)."""
        authorization = headers.get("authorization")
        if authorization is not None:
            scheme, _, credentials = authorization.strip().partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                credentials.strip().encode("utf-8", "replace"), self._key
            ):
                raise AuthFailed("invalid bearer token")
            return
        signature = headers.get(SIGNATURE_HEADER)
        timestamp = headers.get(TIMESTAMP_HEADER)
        if signature is None or timestamp is None:
            raise AuthFailed(
                "missing credentials: send 'Authorization: Bearer <token>' or the"
                f" {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers"
            )
        self._check_timestamp(timestamp)
        expected = hmac.new(
            self._key, signing_message(timestamp, method, target, body), hashlib.sha256
        ).hexdigest()
        given = signature.removeprefix(SIGNATURE_SCHEME).lower().encode("utf-8", "replace")
        if not signature.startswith(SIGNATURE_SCHEME) or not hmac.compare_digest(
            given, expected.encode("ascii")
        ):
            raise AuthFailed("invalid signature")
        # The timestamp may lie up to one window ahead, so a signature stays usable for up
        # to two windows from now: remember it that long.
        if not self._seen.first_use(expected, 2 * self._window_s):
            raise AuthFailed("signature already used (replayed request)")

    def _check_timestamp(self, timestamp: str) -> None:
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise AuthFailed("timestamp must be unix seconds")
        if abs(self._clock() - int(timestamp)) > self._window_s:
            raise AuthFailed(f"timestamp is more than {self._window_s} s from the server's clock")
