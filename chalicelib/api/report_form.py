"""Balai Warga, the city's website: a public report form and its JSON API.

GET  /report       the HTML form (Bahasa Indonesia; ?lang=en for English), with a map when
                   JavaScript runs (static/report.js) and complete without it
POST /report       the form's submission (multipart/form-data or urlencoded) -> HTML page
POST /reports      JSON, same validation -> 201 {"tracking_code", "status_url"}; a repeated
                   submission_id / Idempotency-Key -> 200 with the same code, or 409
                   idempotency_key_reused when the content differs

Both are rate-limited in one scope, ``reports`` (api/limits.py): by address and
globally before the body is read, by the reporter's phone and e-mail after it is
parsed. Over a limit: 429 with Retry-After (the form: a page saying when to retry).
"""

from __future__ import annotations

import secrets

from chalice import Blueprint, Response

from chalicelib.api.http import ApiError, handles_errors, json_response, read_body
from chalicelib.api.limits import RateLimited, check, limited

bp = Blueprint(__name__)

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _language(request) -> str:
    """Bahasa Indonesia unless the reporter chose English (?lang=en): most browsers
    in Jakarta say en-US whatever their users read."""
    return "en" if (request.query_params or {}).get("lang") == "en" else "id"


def _html(body: str, status: int = 200) -> Response:
    """The public pages' headers and policy; never stored (the form carries its submission token)."""
    from chalicelib.api.web import public_headers

    return Response(body=body, status_code=status, headers={**public_headers("report", cache="no-store")})


def _submit(report):
    from chalicelib.bootstrap import services
    from chalicelib.services.intake import submit_report

    _count_contact(report)
    app = services()
    return app, submit_report(
        report,
        cases=app.cases,
        photos=app.photos,
        clock=app.clock,
        code_key=app.settings.tracking_code_key,
        bind_content=True,  # submission_id / Idempotency-Key: chosen by the client
        receipts=app.receipt_counter(),
    )


def _count_contact(report) -> None:
    """The reporter's phone and e-mail each count against the scope's contact limit."""
    reporter = report.reporter
    for value in (reporter.phone, reporter.email) if reporter else ():
        if value:
            check("reports", contact=value.strip().lower())


def _too_many(error: RateLimited) -> Response:
    from chalicelib.api.report_page import too_many_page

    response = _html(too_many_page(_language(bp.current_request), error.retry_after_s), 429)
    response.headers["Retry-After"] = str(error.retry_after_s)
    return response


@bp.route("/report", methods=["GET"])
@handles_errors
def report_form():
    from chalicelib.api.report_page import form_page

    return _html(form_page(_language(bp.current_request), secrets.token_urlsafe(18)))


@bp.route("/report", methods=["POST"], content_types=list(FORM_TYPES))
@handles_errors
@limited(bp, "reports", refused=_too_many)
def submit_form():
    from chalicelib.adapters.images import ImageTooLarge
    from chalicelib.api.report_page import form_page, receipt_page, t
    from chalicelib.channels.web_form import read_form, report_from_form
    from chalicelib.domain.errors import InvalidReport, OutsideServiceArea
    from chalicelib.domain.idempotency import IdempotencyKeyReused

    request = bp.current_request
    try:
        body = read_body(request, FORM_TYPES)
    except ApiError as error:
        if error.status != 413:
            raise
        # A person at a browser, not a program: the form again, saying why (the fields are lost:
        # the body was not read).
        language = _language(request)
        return _html(form_page(language, secrets.token_urlsafe(18), None, [("photo", t("too_large", language))]), 413)
    form = read_form(request.headers.get("content-type", ""), body)
    chosen = form.fields.get("lang")
    language = chosen if chosen in ("id", "en") else _language(request)
    try:
        report = report_from_form(form, language)
        app, receipt = _submit(report)
    except RateLimited as error:
        return _too_many(error)
    except ImageTooLarge:
        token = form.fields.get("submission_id") or secrets.token_urlsafe(18)
        return _html(form_page(language, token, form.fields, [("photo", t("too_many_pixels", language))]), 413)
    except IdempotencyKeyReused:
        # The same form sent again with other content (edited after going back): nothing is
        # saved under its old id; the fields come back with a new one, to send as a new report.
        fresh = secrets.token_urlsafe(18)
        problems = [(t("reused_title", language), t("reused", language))]
        return _html(form_page(language, fresh, form.fields, problems), 409)
    except InvalidReport as error:
        token = form.fields.get("submission_id") or secrets.token_urlsafe(18)
        problems = error.problems
        if isinstance(error, OutsideServiceArea):
            problems = [("location", t("outside_area", language))]
        return _html(form_page(language, token, form.fields, problems), 422)
    return _html(
        receipt_page(language, receipt.tracking_code),
        201 if receipt.created else 200,
    )


@bp.route("/reports", methods=["POST"], content_types=["*/*"])
@handles_errors
@limited(bp, "reports")
def submit_json():
    from chalicelib.channels.web_form import report_from_json

    request = bp.current_request
    body = read_body(request, ("application/json",))
    report = report_from_json(body, request.headers.get("idempotency-key"))
    app, receipt = _submit(report)
    if receipt.tracking_code is None:
        raise ApiError(429, "too_many_reports", "Too many reports; please try again later.")
    url = app.settings.status_url(receipt.tracking_code)
    return json_response(
        {
            "tracking_code": receipt.tracking_code,
            "status_url": url,
            "status": receipt.case.status.value,
            "duplicate": not receipt.created,
        },
        201 if receipt.created else 200,
        {"Location": url},
    )
