"""Record the AWS requests the app makes through its shared clients, as "service:Operation"
(or just "Operation" with ``short=True``), for tests that hold a request to its cost.

The rate-limit counter write every public door makes first (chalicelib/adapters/rate_limits.py)
is recorded apart, in ``counter_writes``: these tests measure what a request costs the case
store, and assert the counter writes on their own where they matter."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import aws as aws_clients


class AwsCalls:
    def __init__(self, *services: str, short: bool = False):
        from chalicelib.bootstrap import services as app_services

        self.counters_table = app_services().settings.rate_limits_table
        self.clients = [aws_clients.client(service) for service in services]
        self.short = short
        self.made: list[str] = []
        self.counter_writes: list[str] = []
        for client in self.clients:
            client.meta.events.register("before-parameter-build", self)

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        name = model.name if self.short else f"{model.service_model.service_name}:{model.name}"
        if params.get("TableName") == self.counters_table:
            self.counter_writes.append(name)
        else:
            self.made.append(name)

    def take(self) -> list[str]:
        made, self.made = self.made, []
        return made

    def stop(self) -> None:
        for client in self.clients:
            client.meta.events.unregister("before-parameter-build", self)
