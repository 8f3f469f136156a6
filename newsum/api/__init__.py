"""The CMS's HTTP API: queue an article, read its summary, health and metrics; the CMS's
credential (``auth``), the request guard (``guard``) and the Prometheus metrics."""
