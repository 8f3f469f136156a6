"""Serving: Celery app and tasks, enqueue, backfill, sweeper, CMS API."""
