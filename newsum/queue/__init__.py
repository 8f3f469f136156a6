"""What fills the queue from the command line: ``newsum enqueue`` and ``newsum backfill``
(``backfill``: the archive, in chunks, with backpressure), and ``newsum flower``, which
shows the queue to operators."""
