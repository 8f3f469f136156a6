"""The consumer: the batched summarize task and the sweep beat sends (``tasks``, ``sweep``),
batch planning and the write-back (``batch``), the model loaded once per process
(``runtime``), and ``newsum worker``, ``newsum beat`` and ``newsum reload``."""
