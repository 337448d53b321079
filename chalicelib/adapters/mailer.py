"""E-mail to officers through Amazon SES (moto's SES locally)."""

from __future__ import annotations

from chalicelib.adapters import aws


class SesMailer:
    def __init__(self, sender: str):
        self.sender = sender

    def send(self, to: list[str], subject: str, body: str) -> None:
        with aws.unavailable_on_transient("ses"):
            aws.client("ses").send_email(
                Source=self.sender,
                Destination={"ToAddresses": to},
                Message={
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
                },
            )
