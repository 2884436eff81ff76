"""The `techdocs:` section of app-config.yaml, with Backstage's key names where Backstage has them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from greenroom.config.models import StrictModel, secret


class MkDocsGenerator(StrictModel):
    """`techdocs.generator.mkdocs`: how the MkDocs config of a docs site is treated."""

    omitTechdocsCorePlugin: bool = Field(
        False, description="Do not add the `techdocs-core` plugin when a site's mkdocs.yml lacks it.")


class GeneratorConfig(StrictModel):
    """`techdocs.generator`: MkDocs runs in a local subprocess (Backstage's `runIn: local`)."""

    runIn: Literal["local"] = Field("local", description="Only `local`: MkDocs runs in a child process, never "
                                                         "in docker.")
    mkdocs: MkDocsGenerator = MkDocsGenerator()


class LocalPublisher(StrictModel):
    publishDirectory: str | None = Field(
        None, description="Folder of published sites; default: `techdocs-sites` beside the config file's "
                          "working directory.")


class AwsCredentials(StrictModel):
    accessKeyId: str = secret(min_length=1)
    secretAccessKey: str = secret(min_length=1)


class AwsS3Publisher(StrictModel):
    """`techdocs.publisher.awsS3`: any S3-compatible object store."""

    bucketName: str = Field(min_length=3, max_length=63)
    bucketRootPath: str = Field("", description="A folder inside the bucket that holds the sites.")
    region: str = "us-east-1"
    endpoint: str | None = Field(None, description="The store's URL, for S3-compatible stores other than AWS.")
    s3ForcePathStyle: bool = False
    credentials: AwsCredentials | None = Field(
        None, description="Static keys; without them boto3's usual chain (environment, profile) is used.")


class PublisherConfig(StrictModel):
    type: Literal["local", "awsS3"] = "local"
    local: LocalPublisher = LocalPublisher()
    awsS3: AwsS3Publisher | None = None

    @model_validator(mode="after")
    def _s3_configured(self) -> PublisherConfig:
        if self.type == "awsS3" and self.awsS3 is None:
            raise ValueError("publisher.type is awsS3 but publisher.awsS3 (bucketName, ...) is missing")
        return self


class BuildLimits(StrictModel):
    """Limits that keep hostile docs from exhausting the portal."""

    buildTimeoutSeconds: float = Field(120.0, gt=0, description="A build running longer is killed.")
    maxFiles: int = Field(2000, ge=1, description="Most files a docs folder may hold.")
    maxBytes: int = Field(50 * 1024 * 1024, ge=1, description="Most bytes a docs folder may hold, and a built "
                                                                "site may hold.")
    maxFileBytes: int = Field(10 * 1024 * 1024, ge=1, description="Largest single file of a docs folder.")


class QueueConfig(StrictModel):
    """`techdocs.queue`: the background pass that keeps already-built sites fresh.

    Sites are first built when someone views them; the pass only rechecks sites that were built before (and
    serves viewers' requests first), so a large catalog of never-read docs costs nothing.
    """

    concurrency: int = Field(2, ge=1, le=32, description="Checks and builds running at once on one replica.")
    maxPerPass: int = Field(20, ge=1, description="Most built sites one pass rechecks (viewers' requests come "
                                                  "on top).")
    retryBaseSeconds: float = Field(60.0, gt=0, description="Wait before the first retry of a failing source; "
                                                            "it doubles with each further failure.")
    retryMaxSeconds: float = Field(6 * 3600.0, gt=0, description="Longest wait between two retries of a "
                                                                 "failing source.")
    claimSeconds: float | None = Field(
        None, gt=0, description="How long a replica holds a site's build before another may take it over; "
                                "default: twice limits.buildTimeoutSeconds plus a minute.")


class TechDocsConfig(StrictModel):
    """TechDocs settings. Defaults follow Backstage where it has the key."""

    builder: Literal["local", "external"] = Field(
        "local", description="`local`: the portal builds sites; `external`: CI builds and publishes them.")
    generator: GeneratorConfig = GeneratorConfig()
    publisher: PublisherConfig = PublisherConfig()
    limits: BuildLimits = BuildLimits()
    workDirectory: str | None = Field(None, description="Scratch folder for builds; default: the system's "
                                                        "temporary folder.")
    recheckSeconds: float = Field(
        60.0, ge=0, description="How often a built site's source is checked for changes.")
    queue: QueueConfig = QueueConfig()
    processingInterval: float = Field(2.0, gt=0, description="Seconds between two passes of the build job.")
    legacyUseCaseSensitiveTripletPaths: bool = False
