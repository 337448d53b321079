"""Demo data for `make run`: a few real-looking reports, sent the way partners
send them -- signed webhooks over HTTP -- so the demo exercises the real path.
"""

from __future__ import annotations

import base64
import io
import json
import time
import urllib.error
import urllib.request
from typing import Any

DEMO_REPORTS: list[dict[str, Any]] = [
    {
        "channel": "jaki",
        "report_id": "JAKI-DEMO-0001",
        "category": "garbage",
        "description": "Sampah menumpuk di trotoar depan Pasar Tanah Abang sejak tiga hari.",
        "location": {"lat": -6.1862, "lng": 106.8133, "address": "Jl. KH. Mas Mansyur, Tanah Abang"},
        "reporter": {"name": "Siti", "phone": "+6281234567890", "email": "siti@example.com", "anonymous": False},
        "with_photo": True,
    },
    {
        "channel": "qlue",
        "report_id": "QLUE-DEMO-0002",
        "category": "damaged_road",
        "description": "Jalan berlubang cukup dalam di depan halte, berbahaya untuk motor.",
        "location": {"lat": -6.2297, "lng": 106.8272, "address": "Jl. Jend. Gatot Subroto, Setiabudi"},
        "reporter": {"anonymous": True},
        "with_photo": False,
    },
    {
        "channel": "jaki",
        "report_id": "JAKI-DEMO-0003",
        "category": "water",
        "description": "Air PDAM tidak mengalir sejak kemarin pagi di RT 05/RW 02.",
        "location": {"lat": -6.1530, "lng": 106.8990, "address": "Kelapa Gading Barat"},
        "reporter": {"name": "Budi", "phone": "081298765432", "anonymous": False},
        "with_photo": False,
    },
]


# Response templates (domain/templates.py) some agencies start with: (agency, id, body).
DEMO_TEMPLATES: list[tuple[str, str, dict[str, str]]] = [
    (
        "dinas-lh",
        "diterima",
        {
            "category": "*",
            "title": "Diterima, segera ditindaklanjuti",
            "text_id": "Laporan {tracking_code} ({category}) sudah diterima {agency} dan ditindaklanjuti paling lambat "
            "{expected_date}.",
            "text_en": "Report {tracking_code} ({category}) has been received by {agency} and will be followed up by "
            "{expected_date}.",
        },
    ),
    (
        "dinas-lh",
        "sampah-diangkut",
        {
            "category": "garbage",
            "title": "Sampah dijadwalkan diangkut",
            "text_id": "Petugas {agency} dijadwalkan mengangkut sampah di lokasi laporan {tracking_code}.",
            "text_en": "{agency} crews are scheduled to collect the rubbish at the place of report {tracking_code}.",
        },
    ),
    (
        "sudin-lh-jakpus",
        "diterima",
        {
            "category": "*",
            "title": "Diterima Suku Dinas",
            "text_id": "Laporan {tracking_code} ditangani {agency}; target selesai {expected_date}.",
            "text_en": "Report {tracking_code} is handled by {agency}; expected by {expected_date}.",
        },
    ),
    (
        "dinas-bina-marga",
        "jalan-survei",
        {
            "category": "damaged_road",
            "title": "Survei lokasi jalan",
            "text_id": "Tim {agency} akan menyurvei kerusakan jalan (laporan {tracking_code}) sebelum {expected_date}.",
            "text_en": "A {agency} team will survey the road damage (report {tracking_code}) before {expected_date}.",
        },
    ),
]


def seed_templates() -> list[str]:
    """Store DEMO_TEMPLATES through the service's checks, in this process's configured table."""
    from chalicelib.bootstrap import services
    from chalicelib.domain.clock import to_utc_text
    from chalicelib.domain.permissions import Principal, Role
    from chalicelib.services import templates

    app = services()
    admin = Principal("demo-admin", frozenset({Role.ADMIN}), None)
    stored = []
    for agency_id, template_id, body in DEMO_TEMPLATES:
        template = templates.template_from(template_id, {**body, "agency_id": agency_id}, admin)
        app.templates.put(template, admin.user_id, to_utc_text(app.clock()))
        stored.append(f"{agency_id}/{template_id}")
    return stored


DEMO_PASSWORD = "Demo-Password-2026"  # noqa: S105 - local stand-in only, printed by make run

# (e-mail, role, agency): one officer per role, and agencies the demo flow uses.
DEMO_USERS: list[tuple[str, str, str | None]] = [
    ("intake.gambir@example.com", "intake_officer", "kel-jakpus-gambir-gambir"),
    ("dinas.lh@example.com", "agency_officer", "dinas-lh"),
    ("sudin.lh.jakpus@example.com", "agency_officer", "sudin-lh-jakpus"),
    ("dinas.binamarga@example.com", "agency_officer", "dinas-bina-marga"),
    ("pam.jaya@example.com", "agency_officer", "pam-jaya"),
    ("biro@example.com", "bureau_verifier", "biro-pemerintahan"),
    ("inspektorat@example.com", "supervisor", "inspektorat"),
    ("admin@example.com", "admin", None),
]


def _cognito(endpoint: str, region: str):
    import boto3

    from infra.local.provision import LOCAL_CREDENTIALS

    return boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def create_user(
    endpoint: str, region: str, pool_id: str, email: str, role: str, agency: str | None, password: str = DEMO_PASSWORD
) -> None:
    cognito = _cognito(endpoint, region)
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    if agency:
        attributes.append({"Name": "custom:agency_id", "Value": agency})
    cognito.admin_create_user(UserPoolId=pool_id, Username=email, UserAttributes=attributes, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=role)


def create_users(endpoint: str, region: str, pool_id: str) -> list[tuple[str, str, str | None]]:
    for email, role, agency in DEMO_USERS:
        create_user(endpoint, region, pool_id, email, role, agency)
    return DEMO_USERS


def sign_in(endpoint: str, region: str, client_id: str, email: str, password: str = DEMO_PASSWORD) -> str:
    """An ID token for a user, as the officer client gets it."""
    answer = _cognito(endpoint, region).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return answer["AuthenticationResult"]["IdToken"]


def demo_photo() -> bytes:
    """A small JPEG that carries GPS EXIF, to show the public copy loses it."""
    from PIL import Image

    image = Image.new("RGB", (640, 480), (90, 140, 60))
    for x in range(0, 640, 40):
        for y in range(0, 480, 40):
            if (x + y) % 80 == 0:
                image.paste((200, 190, 170), (x, y, x + 40, y + 40))
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"  # Make
    exif[0x8825] = {1: "S", 2: (6.0, 11.0, 10.0), 3: "E", 4: (106.0, 48.0, 48.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=80)
    return out.getvalue()


def payload(report: dict[str, Any]) -> dict[str, Any]:
    body = {key: value for key, value in report.items() if key not in ("channel", "with_photo")}
    body["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    if report.get("with_photo"):
        body["photos"] = [{"content_type": "image/jpeg", "data_base64": base64.b64encode(demo_photo()).decode()}]
    return body


def post_signed(api_url: str, channel: str, secret: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    from chalicelib.domain.signatures import signature_headers

    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **signature_headers(secret, raw, int(time.time()))}
    request = urllib.request.Request(f"{api_url}/webhooks/{channel}", data=raw, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def load(api_url: str, secrets: dict[str, str]) -> list[dict[str, str]]:
    """Send the demo reports; returns what each got back."""
    loaded = []
    for report in DEMO_REPORTS:
        status, answer = post_signed(api_url, report["channel"], secrets[report["channel"]], payload(report))
        if status not in (200, 201):
            raise RuntimeError(f"demo report {report['report_id']} was refused: {status} {answer}")
        loaded.append({"channel": report["channel"], "report_id": report["report_id"], **answer})
    return loaded


def open311_key(api_url: str, endpoint: str, region: str, client_id: str) -> str:
    """A partner API key for trying Open311 POSTs, issued the way an admin does it."""
    token = sign_in(endpoint, region, client_id, "admin@example.com")
    request = urllib.request.Request(
        f"{api_url}/admin/open311/keys",
        method="POST",
        data=json.dumps({"name": "make run demo partner"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["api_key"]
