"""The Celery configuration derived from settings, and `newsum enqueue` from the shell."""

from __future__ import annotations

from sqlalchemy import Engine

from harness.newsroom import add_version
from harness.processes import run_cli
from newsum.broker.app import celery_config, make_celery, worker_argv
from newsum.broker.stats import queue_depth
from newsum.config import Settings


def test_config_is_json_only_late_ack_and_isolated_by_prefix() -> None:
    settings = Settings(
        broker_key_prefix="site-a:", visibility_timeout_s=7200, batch_size=8,
        worker_prefetch_multiplier=1,
    )
    conf = make_celery(settings).conf

    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.task_default_queue == "summarize"
    for options in (conf.broker_transport_options, conf.result_backend_transport_options):
        assert options["visibility_timeout"] == 7200
        assert options["global_keyprefix"] == "site-a:"
    # A batch of 8 must fit in what the worker may hold unacknowledged, and no more.
    assert conf.worker_prefetch_multiplier == 8
    assert conf.task_time_limit > conf.task_soft_time_limit


def test_visibility_timeout_outlasts_the_hard_time_limit_by_default() -> None:
    conf = celery_config(Settings())
    assert conf["broker_transport_options"]["visibility_timeout"] > conf["task_time_limit"]


def test_worker_runs_one_process_on_the_summarize_queue_with_fair_scheduling() -> None:
    argv = worker_argv(Settings())
    assert "--concurrency=1" in argv and "--queues=summarize" in argv
    assert argv[argv.index("-O") + 1] == "fair"


def test_cli_enqueue_queues_ids_and_rejects_non_integers(
    engine: Engine, worker_settings: Settings
) -> None:
    add_version(engine)
    ok = run_cli(worker_settings, "enqueue", "1", "2", "2")
    assert ok.returncode == 0, ok.stderr
    assert "queued 2, already queued 1" in ok.stdout
    assert queue_depth(worker_settings) == 2

    bad = run_cli(worker_settings, "enqueue", "3", "x7")
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: article ids must be positive integers, got x7"
    assert queue_depth(worker_settings) == 2


def test_status_shows_queue_depth_and_in_flight(
    engine: Engine, worker_settings: Settings
) -> None:
    add_version(engine)
    run_cli(worker_settings, "enqueue", "1", "2", "3")
    status = run_cli(worker_settings, "status")
    assert status.returncode == 0, status.stderr
    assert "queue depth: 3  in flight: 0" in status.stdout
    assert "v1" in status.stdout and "in queue" in status.stdout
