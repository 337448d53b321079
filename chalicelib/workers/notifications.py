"""Officer notifications (in-app inbox, e-mail) from the domain events."""

from __future__ import annotations

from typing import Any


def handle_batch(records) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.services.notifications import notify
    from chalicelib.workers.sqs import process

    app = services()
    return process(
        records, lambda message: notify(message, app.notifications, app.mailer, app.clock()), "officer_notifications"
    )
