"""The API under load with one Redis stall in the middle: a few hundred concurrent CMS
clients for a minute against a real ``newsum api`` on a throwaway PostgreSQL database and
a private Redis, which is paused (``CLIENT PAUSE``) once half-way through.

Each client loops on what a CMS does (read a summary, queue an article by bearer token or
by HMAC signature, check /healthz) and an editor's screen does (read the review queue
with an editor's token). It reports requests, answers by status, 503s, other 5xx (must be
0), transport errors, and p50/p95/p99 latency, overall and while Redis was paused; then
checks that every claim left in the database has its message on the queue and no id is
queued twice.

Usage:
    PYTHONPATH=. .venv/bin/python -m bench.bench_api_load                 # 300 clients, 60 s
    PYTHONPATH=. .venv/bin/python -m bench.bench_api_load --duration 20   # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis
from pydantic import SecretStr
from sqlalchemy import text

from harness.api import METRICS_TOKEN, REVIEW_KEY, TOKEN, running_api, sign
from harness.faults import PrivateRedis
from harness.newsroom import add_editor_account, add_editor_token, add_version, insert_articles
from harness.postgres import POSTGRES_SERVER, create_postgres_database, drop_postgres_database
from newsum.config import Settings
from newsum.db.engine import make_engine
from newsum.db.migrate import upgrade

REQUEST_TIMEOUT_S = 30.0


@dataclass
class Tally:
    """What the clients saw: one entry per request."""

    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    paused_latencies: list[float] = field(default_factory=list)
    pause: tuple[float, float] = (0.0, 0.0)

    def record(self, status: str, started: float, took: float) -> None:
        self.statuses[status] += 1
        self.latencies.append(took)
        if self.pause[0] <= started < self.pause[1]:
            self.paused_latencies.append(took)


def newsroom(database_url: str, redis_url: str, articles: int, data_dir: Path,
             **overrides: object) -> tuple[Settings, str]:
    """Settings on a migrated newsroom with ``articles`` articles, and an editor's token."""
    settings = Settings(database_url=database_url, broker_url=redis_url, data_dir=data_dir,
                        review_secret_key=SecretStr(REVIEW_KEY), review_secure_cookie=False,
                        **overrides)  # type: ignore[arg-type]
    engine = make_engine(database_url)
    upgrade(engine)
    add_version(engine, "v1")
    insert_articles(engine, settings, [
        {"id": i, "title": f"Council meeting {i}", "body": f"The council met on day {i}."}
        for i in range(1, articles + 1)])
    add_editor_account(engine, "desk", "desk-editor-for-the-load-run")
    token = add_editor_token(engine, "desk", "bench_api_load")
    engine.dispose()
    return settings, token


async def client_loop(client: httpx.AsyncClient, tally: Tally, deadline: float,
                      args: argparse.Namespace, editor_token: str, client_index: int) -> None:
    """One CMS (or editor's screen) sending a request, then waiting ``args.think`` s on
    average, until ``deadline``."""
    articles = args.articles
    rng = random.Random(client_index)
    signed: set[tuple[str, str]] = set()
    await asyncio.sleep(rng.uniform(0, args.think))  # clients start spread out
    while time.monotonic() < deadline:
        article_id = rng.randint(1, articles)
        roll = rng.random()
        if roll < 0.45:
            method, path, headers = "GET", f"/articles/{article_id}/summary", _bearer(TOKEN)
        elif roll < 0.75:
            method, path, headers = "POST", f"/articles/{article_id}/summarize", _bearer(TOKEN)
        elif roll < 0.88:
            # Each client signs for its own articles: two clients signing the same request
            # in the same second would send one signature twice, which is refused as a
            # replay (rightly: the API cannot tell them apart).
            article_id = article_id // args.clients * args.clients + client_index + 1
            if article_id > articles:  # ids stay distinct per client modulo the clients
                article_id -= args.clients
            path = f"/articles/{article_id}/summarize"
            stamp = str(int(time.time()))
            if (stamp, path) in signed:  # the same signature again: a replay, refused
                await asyncio.sleep(1)
                stamp = str(int(time.time()))
            signed.add((stamp, path))
            headers = {"X-Newsum-Timestamp": stamp,
                       "X-Newsum-Signature": sign(TOKEN, stamp, "POST", path.encode(), b"")}
            method = "POST"
        elif roll < 0.94:
            method, path, headers = "GET", "/review/api/summaries?limit=5", _bearer(editor_token)
        elif roll < 0.99:
            method, path, headers = "GET", "/healthz", {}
        else:
            method, path, headers = "GET", "/metrics", _bearer(METRICS_TOKEN)
        started = time.monotonic()
        try:
            answer = await client.request(method, path, headers=headers)
            status = str(answer.status_code)
        except httpx.HTTPError as exc:
            status = f"error:{type(exc).__name__}"
        tally.record(status, started, time.monotonic() - started)
        think = rng.expovariate(1 / args.think) if args.think else 0.0
        await asyncio.sleep(min(think, max(0.0, deadline - time.monotonic())))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def run_load(base: str, server: PrivateRedis, args: argparse.Namespace,
                   editor_token: str) -> Tally:
    """``args.clients`` loops for ``args.duration`` s, Redis paused once half-way."""
    tally = Tally()
    # Idle connections are dropped by the client before uvicorn's 5 s keep-alive ends
    # them, so that no request is sent on a connection the server is closing.
    limits = httpx.Limits(max_connections=args.clients + 10,
                          max_keepalive_connections=args.clients + 10, keepalive_expiry=1.0)
    started = time.monotonic()
    deadline = started + args.duration
    pause_at = started + (args.duration - args.pause) / 2
    tally.pause = (pause_at, pause_at + args.pause)
    async with httpx.AsyncClient(base_url=base, limits=limits,
                                 timeout=REQUEST_TIMEOUT_S) as client:
        loops = [client_loop(client, tally, deadline, args, editor_token, index)
                 for index in range(args.clients)]

        async def pause_once() -> None:
            await asyncio.sleep(max(0.0, pause_at - time.monotonic()))
            await asyncio.to_thread(server.pause, args.pause)

        await asyncio.gather(pause_once(), *loops)
    return tally


def claims_match_queue(database_url: str, server: PrivateRedis, queue: str) -> tuple[
        int, int, int]:
    """(claims, messages, claims without a message or repeated messages)."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        claimed = set(connection.execute(text(
            "SELECT article_id FROM newsum_summaries WHERE queued_at IS NOT NULL")).scalars())
    engine.dispose()
    client = redis.Redis.from_url(server.url)
    items = client.lrange(queue, 0, -1)
    client.close()
    ids = [json.loads(base64.b64decode(json.loads(item)["body"]))[1]["article_id"]
           for item in items]
    mismatched = len(claimed ^ set(ids)) + (len(ids) - len(set(ids)))
    return len(claimed), len(ids), mismatched


def percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[int(share * 100) - 1]


def report(tally: Tally, seconds: float, claims: tuple[int, int, int],
           args: argparse.Namespace) -> int:
    """Print the figures; the exit status is 1 when a 5xx other than 503 was answered."""
    total = sum(tally.statuses.values())
    other_5xx = sum(n for s, n in tally.statuses.items() if s.startswith("5") and s != "503")
    errors = sum(n for s, n in tally.statuses.items() if s.startswith("error"))
    print(f"\n{args.clients} clients (mean think {args.think:g} s) for {seconds:.0f} s,"
          f" Redis paused {args.pause:g} s half-way; load average {os.getloadavg()[0]:.1f}"
          f" on {os.cpu_count()} cores")
    print(f"requests           {total} ({total / seconds:.0f}/s)")
    print(f"answers by status  {dict(sorted(tally.statuses.items()))}")
    print(f"503                {tally.statuses['503']}")
    print(f"other 5xx          {other_5xx}")
    print(f"transport errors   {errors}")
    for name, values in (("all", tally.latencies), ("while paused", tally.paused_latencies)):
        print(f"latency {name:<12} p50 {percentile(values, 0.5) * 1000:.0f} ms,"
              f" p95 {percentile(values, 0.95) * 1000:.0f} ms,"
              f" p99 {percentile(values, 0.99) * 1000:.0f} ms,"
              f" max {max(values, default=0) * 1000:.0f} ms ({len(values)} requests)")
    print(f"claims {claims[0]}, messages {claims[1]}, claims without a message or repeated"
          f" messages {claims[2]}")
    return 1 if other_5xx or errors or claims[2] else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=300, help="Concurrent clients.")
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds of load.")
    parser.add_argument("--pause", type=float, default=8.0, help="Seconds Redis is paused.")
    parser.add_argument("--think", type=float, default=1.0,
                        help="Mean seconds a client waits between requests (0: none).")
    parser.add_argument("--articles", type=int, default=2000,
                        help="Articles in the newsroom (at least --clients).")
    parser.add_argument("--max-in-flight", type=int, default=None,
                        help="NEWSUM_API_MAX_IN_FLIGHT of the API (default: the setting's).")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL server to make a throwaway database on"
                             " (default: NEWSUM_TEST_POSTGRES_URL or the local one).")
    args = parser.parse_args()
    if args.articles < args.clients:
        parser.error("--articles must be at least --clients")

    workdir = Path(tempfile.mkdtemp(prefix="newsum-load-"))
    server = PrivateRedis(workdir / "redis").start()
    postgres = args.database_url or POSTGRES_SERVER
    database_url = create_postgres_database(postgres)
    try:
        overrides = ({"api_max_in_flight": args.max_in_flight}
                     if args.max_in_flight else {})
        settings, editor_token = newsroom(database_url, server.url, args.articles,
                                          workdir / "data", **overrides)
        with running_api(settings) as base:
            started = time.monotonic()
            tally = asyncio.run(run_load(base, server, args, editor_token))
            seconds = time.monotonic() - started
            time.sleep(1)  # let requests that were cut off at the deadline finish
        claims = claims_match_queue(database_url, server, settings.queue_name)
    finally:
        server.stop()
        drop_postgres_database(database_url, postgres)
    sys.exit(report(tally, seconds, claims, args))


if __name__ == "__main__":
    main()
