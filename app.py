"""CRM - Cepat Respon Masyarakat. Wiring only: blueprints and event handlers.

Everything with logic lives in chalicelib/ (see its package docstring).
"""

from chalicelib import coldstart

coldstart.begin()  # first: before pydantic and the collector's work (chalicelib/coldstart.py)

from chalice import Chalice  # noqa: E402

from chalicelib import config  # noqa: E402
from chalicelib.api import (  # noqa: E402
    admin,
    alerts,
    api_keys,
    auth,
    docs,
    health,
    metrics,
    officer,
    open311,
    public_map,
    report_form,
    status,
    web,
    webhooks,
)
from chalicelib.api.http import correlation_middleware  # noqa: E402
from chalicelib.logs import invocation_middleware  # noqa: E402

app = Chalice(app_name="crm")
# Outermost: the collector paused for the cold start runs again after the first invocation.
app.register_middleware(coldstart.middleware, "all")
# Every log line: function name, request id, cold start, correlation id (logs.py).
app.register_middleware(invocation_middleware, "all")
app.register_middleware(correlation_middleware, "http")
# The report form uploads photos: API Gateway must pass multipart bodies as
# binary (base64), which Chalice decodes into raw_body.
app.api.binary_types.append("multipart/form-data")

app.register_blueprint(health.bp)
app.register_blueprint(webhooks.bp)
app.register_blueprint(status.bp)
app.register_blueprint(auth.bp)
app.register_blueprint(officer.bp)
app.register_blueprint(admin.bp)
app.register_blueprint(metrics.bp)
app.register_blueprint(report_form.bp)
app.register_blueprint(open311.bp)
app.register_blueprint(api_keys.bp)
app.register_blueprint(docs.bp)
app.register_blueprint(web.bp)
app.register_blueprint(alerts.bp)
app.register_blueprint(public_map.bp)


@app.on_dynamodb_record(stream_arn=config.CASES_STREAM_ARN, batch_size=100, starting_position="TRIM_HORIZON")
def relay_case_events(event):
    """Outbox relay: domain events written with each case change -> SNS.

    Returns a partial batch response (needs ReportBatchItemFailures on the
    event source mapping; see docs/security.md)."""
    from chalicelib.workers.outbox_relay import relay_records

    return relay_records(event)


@app.on_sqs_message(queue=config.FOLLOWUPS_QUEUE, batch_size=10)
def case_followups(event):
    """Routing new cases; recording merges on the primary case."""
    from chalicelib.workers.followups import handle_batch

    return handle_batch(event)


@app.on_sqs_message(queue=config.METRICS_QUEUE, batch_size=10)
def agency_metrics(event):
    """Per-agency daily counters from the domain events."""
    from chalicelib.workers.metrics import handle_batch

    return handle_batch(event)


@app.on_sqs_message(queue=config.NOTIFICATIONS_QUEUE, batch_size=10)
def officer_notifications(event):
    """In-app (and e-mail) notifications for agencies, the Bureau and supervisors."""
    from chalicelib.workers.notifications import handle_batch

    return handle_batch(event)


@app.on_sqs_message(queue=config.REPLIES_QUEUE, batch_size=10)
def send_replies(event):
    """Replies to reporters on their channel: relayed events and notices."""
    from chalicelib.workers.replies import send_replies as send

    return send(event)


@app.on_sqs_message(queue=config.MEDIA_QUEUE, batch_size=5)
def fetch_linked_media(event):
    """Photos providers only link to, fetched after the webhook answered."""
    from chalicelib.workers.media import fetch_media

    return fetch_media(event)


@app.on_sqs_message(queue=config.INBOUND_EMAIL_QUEUE, batch_size=5)
def receive_email(event):
    """E-mail to dki@jakarta.go.id: SES stores it raw in S3, S3 notifies this queue."""
    from chalicelib.workers.email_intake import receive_notifications

    return receive_notifications(event)


@app.schedule("rate(5 minutes)")
def sla_sweep(event):
    """Reminders, breaches, escalations and auto-closing of cases that are due."""
    from chalicelib.workers.sla import run_sweep

    run_sweep()


@app.schedule("cron(10 17 * * ? *)")  # 00:10 in Jakarta
def metrics_rollup(event):
    """Carry the open/overdue stock into the month's counters."""
    from chalicelib.workers.metrics import rollup

    rollup()


@app.on_sqs_message(queue=config.ALERTS_QUEUE, batch_size=10)
def collect_alerts(event):
    """Area alerts: new and resolved cases matched to citizens' subscriptions."""
    from chalicelib.workers.alerts import collect_batch

    return collect_batch(event)


@app.schedule("cron(0 0 * * ? *)")  # 07:00 in Jakarta
def alert_digests(event):
    """At most one digest a day per subscriber, of the entries collected since the last."""
    from chalicelib.workers.alerts import send_digests

    send_digests()
