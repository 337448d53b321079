"""Photos in S3: the original privately, the cleaned copy for the public.

Keys are derived from the tracking code and the photo's content, so a retried
delivery writes the same objects again instead of leaving orphans, and never
replaces a stored photo with different bytes:

    originals/<tracking code>/<photo id>-<digest>.<ext>   evidence, never public
    public/<tracking code>/<photo id>-<digest>.<ext>      metadata-free copy

Public copies are served through short-lived presigned GET URLs handed out by
GET /status/{code}/photos/{photo_id}; the bucket itself blocks public access.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from chalicelib.adapters import aws
from chalicelib.adapters.images import CleanImage
from chalicelib.domain.case import PhotoRef


class PhotoStore(Protocol):
    def store(self, tracking_code: str, photo_id: str, kind: str, image: CleanImage) -> PhotoRef: ...

    def public_url(self, photo: PhotoRef) -> str: ...


class S3PhotoStore:
    def __init__(self, bucket: str, url_ttl_seconds: int):
        self.bucket = bucket
        self.url_ttl_seconds = url_ttl_seconds

    @property
    def _client(self) -> Any:
        return aws.client("s3")

    def store(self, tracking_code: str, photo_id: str, kind: str, image: CleanImage) -> PhotoRef:
        """Store one photo cleaned by images.clean: the original and the public copy."""
        name = f"{photo_id}-{hashlib.sha256(image.original).hexdigest()[:16]}.{image.extension}"
        original_key = f"originals/{tracking_code}/{name}"
        public_key = f"public/{tracking_code}/{name}"
        with aws.unavailable_on_transient("s3"):
            self._client.put_object(
                Bucket=self.bucket, Key=original_key, Body=image.original, ContentType=image.content_type
            )
            self._client.put_object(
                Bucket=self.bucket,
                Key=public_key,
                Body=image.public,
                ContentType=image.content_type,
                CacheControl="public, max-age=86400, immutable",
            )
        return PhotoRef(
            id=photo_id,
            kind=kind,
            original_key=original_key,
            public_key=public_key,
            content_type=image.content_type,
            width=image.width,
            height=image.height,
        )

    def public_url(self, photo: PhotoRef) -> str:
        # Signing is local computation: no request to S3.
        return self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": photo.public_key},
            ExpiresIn=self.url_ttl_seconds,
        )

    def original_url(self, photo: PhotoRef) -> str:
        """The untouched original (evidence), for officers who may see the reporter."""
        return self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": photo.original_key},
            ExpiresIn=min(self.url_ttl_seconds, 300),
        )
