"""Officer notifications (in-app inbox, e-mail) from the domain events."""

from __future__ import annotations

from typing import Any

QUEUE = "officer-notifications"


def handle_batch(records) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.services.handlers import NotificationPorts
    from chalicelib.workers.sqs import dispatch

    app = services()
    ports = NotificationPorts(notifications=app.notifications, mailer=app.mailer, clock=app.clock)
    answer, _results = dispatch(records, QUEUE, ports, "officer_notifications")
    return answer
