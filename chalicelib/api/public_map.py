"""The public map's JSON (no sign-in): what /map, /report and /reports/{id} draw.

    GET /map/points?category=&status=&kota=&days=          recent public reports as compact points
    GET /map/reports?category=&status=&kota=&days=&page=   the same reports as a paged list
    GET /map/nearby?lat=&lng=&category=                    open reports of a category within 100 m
    GET /areas/lookup?lat=&lng=                            the kelurahan / kecamatan / kota of a point

Every answer is cacheable for a short while (an ETag, ``Cache-Control:
public, max-age``): the map's data is at most half a minute old anyway
(services/public_map.py), and the area lookup reads no database at all.
Bad arguments get 422 naming each one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.http import etag_for, etag_matches, handles_errors, preferred_language
from chalicelib.api.limits import limited

bp = Blueprint(__name__)

MAP_MAX_AGE = 30  # seconds: the age of the data behind it (public_map.SNAPSHOT_SECONDS)
AREA_MAX_AGE = 86_400  # the boundaries change with a deploy, not during a day


def _deps():
    from chalicelib.bootstrap import services
    from chalicelib.services.public_map import Deps

    app = services()
    # The DynamoDB reader; tests' fake repositories read many cases themselves.
    reader: Any = app.case_reader or app.cases
    return Deps(
        lists=app.queries,
        get_many=reader.get_many,
        clock=app.clock,
        code_key=app.settings.tracking_code_key,
        base_url=app.settings.public_base_url,
    )


def _cached_json(body: Any, max_age: int, vary_language: bool = False) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    etag = etag_for(text)
    headers: dict[str, str | list[str]] = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if vary_language:
        headers["Vary"] = "Accept-Language"
    if etag_matches(bp.current_request.headers.get("if-none-match"), etag):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=text, status_code=200, headers={"Content-Type": "application/json; charset=utf-8", **headers})


@bp.route("/map/points", methods=["GET"])
@handles_errors
@limited(bp, "public_map")
def map_points():
    from chalicelib.services import public_map

    filters = public_map.parse_filters(bp.current_request.query_params)
    return _cached_json(public_map.points(filters, _deps()), MAP_MAX_AGE)


@bp.route("/map/reports", methods=["GET"])
@handles_errors
@limited(bp, "public_map")
def map_reports():
    from chalicelib.services import public_map

    request = bp.current_request
    filters = public_map.parse_filters(request.query_params)
    page, size = public_map.parse_page(request.query_params)
    body = public_map.reports_page(filters, page, size, preferred_language(request), _deps())
    return _cached_json(body, MAP_MAX_AGE, vary_language=True)


@bp.route("/map/nearby", methods=["GET"])
@handles_errors
@limited(bp, "public_map")
def map_nearby():
    from chalicelib.services import public_map

    request = bp.current_request
    query: Mapping[str, str] = request.query_params or {}
    lat, lng = public_map.parse_point(query)
    category = (query.get("category") or "").strip() or None
    body = public_map.nearby(lat, lng, category, preferred_language(request), _deps())
    return _cached_json(body, MAP_MAX_AGE, vary_language=True)


@bp.route("/areas/lookup", methods=["GET"])
@handles_errors
@limited(bp, "public_map")
def area_lookup():
    from chalicelib.services import public_map

    lat, lng = public_map.parse_point(bp.current_request.query_params)
    return _cached_json(public_map.area_at(lat, lng), AREA_MAX_AGE)
