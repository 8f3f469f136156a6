"""The broker contract, shared by the producers, the workers and the API: the Celery app
and its configuration (``app``, with the task names), the summarize message (``message``),
putting ids on the queue under their claims (``enqueue``), what the broker holds
(``stats``: queue depth, in flight) and the one Redis client builder (``redis``)."""
