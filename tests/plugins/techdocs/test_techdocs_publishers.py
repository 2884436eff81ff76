"""Publishing to the local file system and to an S3-compatible server (moto on 127.0.0.1)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from greenroom.plugins.techdocs.config import AwsS3Publisher as S3Config
from greenroom.plugins.techdocs.config import PublisherConfig
from greenroom.plugins.techdocs.publishers import LocalPublisher, Publisher, make_publisher
from greenroom.plugins.techdocs.publishers.s3 import S3Publisher
from greenroom.plugins.techdocs.refs import Triplet

TRIPLET = Triplet("default", "Component", "Svc")


def site(folder: Path, version: str, pages: list[str]) -> Path:
    for page in pages:
        (folder / page).parent.mkdir(parents=True, exist_ok=True)
        (folder / page).write_text(f"<h1>{page} {version}</h1>")
    (folder / "techdocs_metadata.json").write_text(json.dumps({"site_name": "Svc", "etag": version}))
    return folder


def check_publisher(publisher: Publisher, tmp_path: Path) -> None:
    assert publisher.metadata(TRIPLET) is None
    publisher.publish(TRIPLET, site(tmp_path / "v1", "v1", ["index.html", "old/index.html"]))
    assert publisher.metadata(TRIPLET) == {"site_name": "Svc", "etag": "v1"}
    assert publisher.read(TRIPLET, "old/index.html") == b"<h1>old/index.html v1</h1>"
    publisher.publish(TRIPLET, site(tmp_path / "v2", "v2", ["index.html", "new/index.html"]))
    assert publisher.read(TRIPLET, "index.html") == b"<h1>index.html v2</h1>"
    assert publisher.read(TRIPLET, "old/index.html") is None
    for bad in ("../../../etc/passwd", "/etc/passwd", "a/../../x", "\0"):
        assert publisher.read(TRIPLET, bad) is None
    assert publisher.ready()


def test_local_publisher(tmp_path: Path) -> None:
    publisher = LocalPublisher(tmp_path / "sites")
    check_publisher(publisher, tmp_path)
    # Backstage's layout: lower-cased <namespace>/<kind>/<name>/ with the metadata beside the pages.
    assert (tmp_path / "sites" / "default" / "component" / "svc" / "techdocs_metadata.json").is_file()
    assert sorted(p.name for p in (tmp_path / "sites" / "default" / "component").iterdir()) == ["svc"]


def test_local_publisher_never_reads_through_links(tmp_path: Path) -> None:
    publisher = LocalPublisher(tmp_path / "sites")
    publisher.publish(TRIPLET, site(tmp_path / "v1", "v1", ["index.html"]))
    (tmp_path / "secret").write_text("s")
    (tmp_path / "sites" / "default" / "component" / "svc" / "leak.html").symlink_to(tmp_path / "secret")
    assert publisher.read(TRIPLET, "leak.html") is None


@pytest.fixture
def bucket(s3_endpoint: str, request: pytest.FixtureRequest) -> str:
    name = "docs-" + request.node.name.replace("_", "-")[:40].lower()
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="k",
                 aws_secret_access_key="s").create_bucket(Bucket=name)
    return name


def s3_config(endpoint: str, bucket: str, root: str = "") -> S3Config:
    return S3Config.model_validate({"bucketName": bucket, "endpoint": endpoint, "s3ForcePathStyle": True,
                                   "bucketRootPath": root,
                                   "credentials": {"accessKeyId": "k", "secretAccessKey": "s"}})


def test_s3_publisher(tmp_path: Path, s3_endpoint: str, bucket: str) -> None:
    publisher = S3Publisher(s3_config(s3_endpoint, bucket, root="sites"))
    check_publisher(publisher, tmp_path)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="k",
                          aws_secret_access_key="s")
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["sites/default/component/svc/index.html", "sites/default/component/svc/new/index.html",
                    "sites/default/component/svc/techdocs_metadata.json"]
    head = client.head_object(Bucket=bucket, Key="sites/default/component/svc/index.html")
    assert head["ContentType"] == "text/html"


def test_s3_publisher_missing_bucket(s3_endpoint: str) -> None:
    assert not S3Publisher(s3_config(s3_endpoint, "no-such-bucket")).ready()


def test_make_publisher(tmp_path: Path, s3_endpoint: str) -> None:
    local = make_publisher(PublisherConfig.model_validate({"local": {"publishDirectory": str(tmp_path)}}))
    assert isinstance(local, LocalPublisher) and local.root == tmp_path
    s3 = make_publisher(PublisherConfig.model_validate({"type": "awsS3", "awsS3": {
        "bucketName": "abc", "endpoint": s3_endpoint, "credentials": {"accessKeyId": "k", "secretAccessKey": "s"}}}))
    assert isinstance(s3, S3Publisher)
    with pytest.raises(ValueError, match=r"publisher\.awsS3"):
        PublisherConfig.model_validate({"type": "awsS3"})
