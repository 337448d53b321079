"""Officer photo uploads straight from the browser to S3 (presigned POST).

The policy pins the key (under uploads/<user>/), the content type and a size
range, so the browser can upload nothing else. The server later reads the
object, cleans it like every photo and stores the result; uploads/ expires by
a lifecycle rule.
"""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib.adapters import aws
from chalicelib.domain.report import ALLOWED_PHOTO_TYPES, MAX_PHOTO_BYTES

UPLOAD_TTL_SECONDS = 600


class Uploads:
    def __init__(self, bucket: str):
        self.bucket = bucket

    def presign(self, user_id: str, content_type: str) -> dict[str, Any]:
        if content_type not in ALLOWED_PHOTO_TYPES:
            raise ValueError(f"content_type must be one of {', '.join(ALLOWED_PHOTO_TYPES)}")
        key = f"uploads/{user_id}/{uuid.uuid4().hex}"
        post = aws.client("s3").generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, MAX_PHOTO_BYTES]],
            ExpiresIn=UPLOAD_TTL_SECONDS,
        )
        return {"url": post["url"], "fields": post["fields"], "key": key, "expires_in": UPLOAD_TTL_SECONDS}

    def read(self, key: str) -> bytes:
        client = aws.client("s3")
        with aws.unavailable_on_transient("s3"):
            try:
                response = client.get_object(Bucket=self.bucket, Key=key)
            except client.exceptions.NoSuchKey:
                from chalicelib.domain.errors import InvalidInput

                raise InvalidInput([("upload_key", "nothing was uploaded under this key")]) from None
            if response.get("ContentLength", 0) > MAX_PHOTO_BYTES:
                from chalicelib.domain.errors import InvalidInput

                raise InvalidInput([("upload_key", "the upload is too large")])
            return response["Body"].read()
