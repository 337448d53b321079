"""Reading many cases at once (BatchGetItem), for listings such as Open311's.

A module of its own so that only the functions that list cases hold
dynamodb:BatchGetItem (infra/functions.yaml grants permissions per module).
Eventually consistent, 100 keys per request; keys DynamoDB leaves unprocessed
under load are asked again with backoff, then 503.
"""

from __future__ import annotations

import time
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.case_repository import (
    case_key,
    deserialize,
    is_case_item,
    read_cases,
    serialize,
)
from chalicelib.domain.case import Case

BATCH_GET_LIMIT = 100  # DynamoDB's maximum keys per BatchGetItem
BATCH_GET_ATTEMPTS = 5


class DynamoCaseReader:
    def __init__(self, table_name: str):
        self.table_name = table_name

    @property
    def _client(self) -> Any:
        return aws.client("dynamodb")

    def get_many(self, tracking_codes: list[str], list_name: str = "cases") -> dict[str, Case]:
        """The cases with these codes (missing ones are left out, and so are
        unreadable ones: logged and counted as ``list_name``'s)."""
        found: dict[str, Case] = {}
        codes = list(dict.fromkeys(tracking_codes))
        for start in range(0, len(codes), BATCH_GET_LIMIT):
            keys = [serialize(case_key(code)) for code in codes[start : start + BATCH_GET_LIMIT]]
            for attempt in range(BATCH_GET_ATTEMPTS):
                with aws.unavailable_on_transient("dynamodb"):
                    response = self._client.batch_get_item(RequestItems={self.table_name: {"Keys": keys}})
                stored = (deserialize(item) for item in response.get("Responses", {}).get(self.table_name, []))
                for case in read_cases((item for item in stored if is_case_item(item)), list_name):
                    found[case.tracking_code] = case
                keys = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
                if not keys:
                    break
                time.sleep(0.05 * 2**attempt)  # DynamoDB asks to slow down
            else:
                raise aws.ServiceUnavailable("dynamodb", "UnprocessedKeys")
        return found
