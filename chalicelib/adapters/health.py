"""Can this function reach its storage? The probes behind GET /health?deep=1.

Each probe is one cheap request that needs no data: the table's description
and a HEAD of the photo bucket. A probe raises when the store cannot be reached.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.adapters import aws


class StorageProbes:
    def __init__(self, table_name: str, photos_bucket: str):
        self.table_name = table_name
        self.photos_bucket = photos_bucket

    def probes(self) -> dict[str, Callable[[], object]]:
        """Name of the store -> a call that raises if it cannot be reached."""
        return {
            "dynamodb": lambda: aws.client("dynamodb").describe_table(TableName=self.table_name),
            "s3": lambda: aws.client("s3").head_bucket(Bucket=self.photos_bucket),
        }
