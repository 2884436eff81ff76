"""Sites in an S3-compatible object store (AWS S3, MinIO, Ceph, moto…), through boto3.

Keys are `<bucketRootPath>/<namespace>/<kind>/<name>/<file>`, as Backstage's awsS3 publisher writes them.
The metadata file is uploaded last, so a reader that sees the new metadata sees every new page too.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from greenroom.plugins.techdocs.config import AwsS3Publisher
from greenroom.plugins.techdocs.publishers.base import METADATA_FILE, PublishError, parse_metadata, site_path
from greenroom.plugins.techdocs.refs import Triplet


class S3Publisher:
    """Publishes each file of a site as one object, then deletes objects the new site no longer has."""

    name = "awsS3"

    def __init__(self, config: AwsS3Publisher, case_sensitive: bool = False) -> None:
        import boto3
        from botocore.config import Config

        self.config = config
        self.bucket = config.bucketName
        self.prefix = config.bucketRootPath.strip("/")
        self.case_sensitive = case_sensitive
        keys: dict[str, Any] = {}
        if config.credentials is not None:
            keys = {"aws_access_key_id": config.credentials.accessKeyId,
                    "aws_secret_access_key": config.credentials.secretAccessKey}
        style = "path" if config.s3ForcePathStyle else "auto"
        self.client = boto3.client("s3", region_name=config.region, endpoint_url=config.endpoint,
                                   config=Config(s3={"addressing_style": style}, retries={"max_attempts": 2},
                                                 connect_timeout=5, read_timeout=30), **keys)
        self._missing: type[Exception] = self.client.exceptions.NoSuchKey

    def _key(self, triplet: Triplet, rel: str = "") -> str:
        base = triplet.storage_path(self.case_sensitive)
        return "/".join(p for p in (self.prefix, base, rel) if p)

    def publish(self, triplet: Triplet, site: Path) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        files = sorted(p for p in site.rglob("*") if p.is_file() and p.name != METADATA_FILE)
        try:
            for path in [*files, site / METADATA_FILE]:
                if not path.is_file():
                    continue
                rel = path.relative_to(site).as_posix()
                kind = mimetypes.guess_type(rel)[0] or "application/octet-stream"
                self.client.upload_file(str(path), self.bucket, self._key(triplet, rel),
                                        ExtraArgs={"ContentType": kind})
            keep = {self._key(triplet, p.relative_to(site).as_posix()) for p in files} | {
                self._key(triplet, METADATA_FILE)}
            stale: list[str] = []
            for page in self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=self._key(triplet) + "/"):
                stale.extend(o["Key"] for o in page.get("Contents", []) if o["Key"] not in keep)
            for start in range(0, len(stale), 1000):
                self.client.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": [{"Key": k} for k in stale[start:start + 1000]], "Quiet": True})
        except (BotoCoreError, ClientError) as exc:
            raise PublishError(f"cannot publish to s3://{self.bucket}/{self._key(triplet)}: {exc}") from None

    def read(self, triplet: Triplet, path: str) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        rel = site_path(path)
        if rel is None:
            return None
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(triplet, rel))["Body"]
            data: bytes = body.read()
            return data
        except self._missing:
            return None
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise PublishError(f"cannot read s3://{self.bucket}/{self._key(triplet, rel)}: {exc}") from None
        except BotoCoreError as exc:
            raise PublishError(f"cannot read s3://{self.bucket}/{self._key(triplet, rel)}: {exc}") from None

    def metadata(self, triplet: Triplet) -> dict[str, Any] | None:
        return parse_metadata(self.read(triplet, METADATA_FILE))

    def ready(self) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
            return True
        except (BotoCoreError, ClientError):
            return False
