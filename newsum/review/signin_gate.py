"""The gate every sign-in passes: failure limits per account and per client address,
shared by every API process through Redis, and password checks in a small pool of their
own.

Limits use the ``limits`` library's moving windows (``review_login_limits_account``,
``..._address``: "5/minute;20/hour;50/day"). Several windows make
the backoff grow: a guesser waits a minute after five failures, an hour after twenty.
A limited attempt is refused before any password is checked, so it costs no argon2 run.
Without Redis (the embedded demo broker: one API process) the counts live in memory.

Each argon2 check takes 64 MiB and a core for a while; run in the thread pool that the
CMS's routes use, a flood of logins would starve those. Here they run in
``review_login_workers`` threads of their own, and at most ``review_login_queue``
sign-ins wait for one; the rest are turned away at once (503).
"""

from __future__ import annotations

import asyncio
import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import redis
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from redis.backoff import NoBackoff
from redis.retry import Retry

from newsum.config import Settings, is_redis_url
from newsum.db.editors import EDITOR_NAME
from newsum.errors import BrokerUnavailable, LoginBusy, LoginThrottled
from newsum.review.logins import LoginCheck, SignedInEditor

T = TypeVar("T")
# The threads that talk to the limiter's Redis, apart from the argon2 ones: a limited
# attempt is answered without waiting behind password checks.
LIMITER_THREADS = 4


def limiter_storage(settings: Settings) -> Storage:
    """Redis (shared by all API processes) when the broker is Redis, else this process."""
    if not is_redis_url(settings.broker_url):
        return MemoryStorage()
    timeout = settings.api_stall_timeout_s
    return RedisStorage(
        settings.broker_url.replace("redis+socket://", "redis+unix://", 1),
        key_prefix=f"{settings.broker_key_prefix}newsum:login",
        wrap_exceptions=True,
        socket_connect_timeout=timeout, socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),  # type: ignore[arg-type]
    )


class LoginLimiter:
    """Counts sign-in attempts per account and per address; refuses those over a limit.

    Every attempt is counted when it arrives (one atomic step per window, so parallel
    guesses cannot all slip past a check), and a successful sign-in clears its account's
    count: what remains against an account are the failures since its last success.
    """

    def __init__(self, storage: Storage, account: str, address: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._account: list[RateLimitItem] = parse_many(account)
        self._address: list[RateLimitItem] = parse_many(address)

    def admit(self, name: str, address: str) -> None:
        """Count the attempt; raise LoginThrottled when a window is used up, or
        BrokerUnavailable when the counts cannot be reached (refusing is safer than
        letting guesses through uncounted)."""
        buckets = [(item, "account", _account_key(name)) for item in self._account]
        buckets += [(item, "address", address) for item in self._address]
        full = [bucket for bucket in buckets
                if not self._guarded(lambda b=bucket: self._limiter.hit(b[0], b[1], b[2]))]
        if full:
            longest = max(self._wait(*bucket) for bucket in full)
            raise LoginThrottled(
                "too many failed sign-ins for this account or from this address: try again"
                f" in {_human(longest)}", retry_after_s=longest,
            )

    def succeeded(self, name: str) -> None:
        """Forget the account's failures (the address keeps its count)."""
        for item in self._account:
            self._guarded(lambda i=item: self._limiter.clear(i, "account", _account_key(name)))

    def _wait(self, item: RateLimitItem, kind: str, key: str) -> int:
        """Seconds until ``key`` may try again under ``item``."""
        stats = self._guarded(lambda: self._limiter.get_window_stats(item, kind, key))
        return max(1, math.ceil(stats.reset_time - time.time()))

    @staticmethod
    def _guarded(call):  # type: ignore[no-untyped-def]
        try:
            return call()
        except (StorageError, redis.RedisError) as exc:
            raise BrokerUnavailable(
                "cannot check sign-in limits: Redis does not answer; try again shortly"
            ) from exc


def _account_key(name: str) -> str:
    """The name as its bucket: any invalid name shares one (it can never sign in)."""
    return name if EDITOR_NAME.fullmatch(name) else "<invalid>"


def _human(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    if seconds < 5400:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{math.ceil(seconds / 3600)} hours"


class SignInGate:
    """Limits, then a password check in the argon2 pool, then the failure counted."""

    def __init__(self, check: LoginCheck, limiter: LoginLimiter, *, workers: int,
                 queue: int) -> None:
        self._check = check
        self._limiter = limiter
        self._argon2 = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self._limits = ThreadPoolExecutor(max_workers=LIMITER_THREADS,
                                          thread_name_prefix="login-limits")
        self._capacity = workers + queue
        self._inside = 0  # only touched on the event loop

    @classmethod
    def for_settings(cls, settings: Settings, check: LoginCheck) -> SignInGate:
        limiter = LoginLimiter(limiter_storage(settings), settings.review_login_limits_account,
                               settings.review_login_limits_address)
        return cls(check, limiter, workers=settings.review_login_workers,
                   queue=settings.review_login_queue)

    async def sign_in(self, name: str, password: str, address: str) -> SignedInEditor | None:
        """The editor, or None for a wrong name or password; raises LoginThrottled,
        LoginBusy (too many sign-ins waiting) or BrokerUnavailable."""
        if self._inside >= self._capacity:
            raise LoginBusy("too many sign-ins at once: try again in a few seconds")
        self._inside += 1
        try:
            await self._run(self._limits, self._limiter.admit, name, address)
            editor = await self._run(self._argon2, self._check, name, password)
            if editor is not None:
                await self._run(self._limits, self._limiter.succeeded, name)
            return editor
        finally:
            self._inside -= 1

    @staticmethod
    async def _run(executor: ThreadPoolExecutor, function, *args):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(executor, function, *args)

    def close(self) -> None:
        self._argon2.shutdown(wait=False, cancel_futures=True)
        self._limits.shutdown(wait=False, cancel_futures=True)
