"""CRM - Cepat Respon Masyarakat. Wiring only: blueprints and event handlers.

Everything with logic lives in chalicelib/ (see its package docstring).
"""

from chalice import Chalice

from chalicelib import config
from chalicelib.api import health, status, webhooks
from chalicelib.api.http import correlation_middleware

app = Chalice(app_name="crm")
app.register_middleware(correlation_middleware, "http")

app.register_blueprint(health.bp)
app.register_blueprint(webhooks.bp)
app.register_blueprint(status.bp)


@app.on_dynamodb_record(stream_arn=config.CASES_STREAM_ARN, batch_size=100, starting_position="TRIM_HORIZON")
def relay_case_events(event):
    """Outbox relay: domain events written with each case change -> SNS."""
    from chalicelib.workers.outbox_relay import relay_records

    relay_records(event)
