"""Where built sites are kept: the local file system or an S3-compatible object store.

Both use Backstage's layout, `<namespace>/<kind>/<name>/` with `techdocs_metadata.json` beside the pages, so a
site published by Backstage's `techdocs-cli publish` is served as it is, and the other way round.
"""

from __future__ import annotations

from pathlib import Path

from greenroom.plugins.techdocs.config import PublisherConfig
from greenroom.plugins.techdocs.publishers.base import Publisher, PublishError
from greenroom.plugins.techdocs.publishers.local import LocalPublisher

__all__ = ["LocalPublisher", "PublishError", "Publisher", "make_publisher"]


def make_publisher(config: PublisherConfig, case_sensitive: bool = False) -> Publisher:
    """The publisher `techdocs.publisher` configures."""
    if config.type == "awsS3":
        from greenroom.plugins.techdocs.publishers.s3 import S3Publisher

        assert config.awsS3 is not None
        return S3Publisher(config.awsS3, case_sensitive)
    return LocalPublisher(Path(config.local.publishDirectory or "techdocs-sites").absolute(), case_sensitive)
