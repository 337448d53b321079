"""What a fresh process that serves one partner webhook needs of the composition root
(chalicelib/bootstrap.py builds each adapter, and imports its module, on first read)."""

from __future__ import annotations

# The lazily built fields of bootstrap.Services that POST /webhooks/{channel} reads (api/webhooks.py,
# api/limits.py) or that their builders read (the contacts' sealer).
WEBHOOK_READS = ("cases", "photos", "senders", "sealer", "limiter")

# Adapter modules nothing on that path needs: a fresh process serving the webhook never imports them.
NOT_ON_THE_WEBHOOK_PATH = (
    "chalicelib.adapters.api_key_store",
    "chalicelib.adapters.case_queries",
    "chalicelib.adapters.case_reader",
    "chalicelib.adapters.duplicate_index",
    "chalicelib.adapters.event_publisher",
    "chalicelib.adapters.identity",
    "chalicelib.adapters.mailer",
    "chalicelib.adapters.metrics_store",
    "chalicelib.adapters.notification_store",
    "chalicelib.adapters.quarantine_store",
    "chalicelib.adapters.routing_store",
    "chalicelib.adapters.uploads",
)
