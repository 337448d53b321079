"""Redacted public copies of photos in S3 (photo redaction; see services/redaction.py).

Kept apart from photo_store so that only the API function, which redacts,
holds s3:DeleteObject on public copies:

    reads   originals/<tracking code>/...                the private original
    writes  public/<tracking code>/<photo id>-<digest>-r.<ext>   the redacted copy
    deletes the public copy it replaces
"""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.images import CleanImage
from chalicelib.domain.case import PhotoRef


class RedactedCopies:
    def __init__(self, bucket: str):
        self.bucket = bucket

    @property
    def _client(self) -> Any:
        return aws.client("s3")

    def read_original(self, photo: PhotoRef) -> bytes:
        with aws.unavailable_on_transient("s3"):
            return self._client.get_object(Bucket=self.bucket, Key=photo.original_key)["Body"].read()

    def store_public(self, tracking_code: str, photo: PhotoRef, image: CleanImage) -> str:
        digest = hashlib.sha256(image.public).hexdigest()[:16]
        key = f"public/{tracking_code}/{photo.id}-{digest}-r.{image.extension}"
        with aws.unavailable_on_transient("s3"):
            self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=image.public,
                ContentType=image.content_type,
                CacheControl="public, max-age=86400, immutable",
            )
        return key

    def delete_public(self, key: str) -> None:
        if not key.startswith("public/"):
            raise ValueError("only public copies are deleted")
        with aws.unavailable_on_transient("s3"):
            self._client.delete_object(Bucket=self.bucket, Key=key)
