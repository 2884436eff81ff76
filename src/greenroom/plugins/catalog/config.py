"""The `catalog:` section of app-config.yaml, with Backstage's key names."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from greenroom.config.models import StrictModel


class KindRule(StrictModel):
    """An allowed kind, optionally narrowed to a `spec.type`."""

    kind: str
    spec_type: str | None = Field(None, alias="spec.type")


class RuleLocation(StrictModel):
    type: str
    exact: str | None = None
    pattern: str | None = None


class Rule(StrictModel):
    """`catalog.rules[]`: which kinds may come from which locations (all locations when none are given)."""

    allow: list[str | KindRule]
    locations: list[RuleLocation] | None = None


class LocationRule(StrictModel):
    allow: list[str | KindRule]


class ConfigLocation(StrictModel):
    """`catalog.locations[]`: a file (path or glob, relative to the working directory) or a URL."""

    type: str = Field(min_length=1)
    target: str = Field(min_length=1)
    rules: list[LocationRule] | None = None


class Duration(StrictModel):
    days: float = 0
    hours: float = 0
    minutes: float = 0
    seconds: float = 0
    milliseconds: float = 0

    @property
    def total_seconds(self) -> float:
        return (self.days * 86400 + self.hours * 3600 + self.minutes * 60 + self.seconds
                + self.milliseconds / 1000)


class Limits(StrictModel):
    """Limits that keep hostile input from exhausting the portal."""

    maxFileBytes: int = Field(5 * 1024 * 1024, ge=1)
    maxFilesPerLocation: int = Field(200_000, ge=1)
    maxEntitiesPerFile: int = Field(10_000, ge=1)


class CatalogConfig(StrictModel):
    """Catalog settings. Defaults follow Backstage 4.x unless noted."""

    locations: list[ConfigLocation] = []
    rules: list[Rule] = Field(default_factory=lambda: [Rule(allow=["Component", "API", "Location"])])
    processingInterval: Duration | Literal[False] = Field(
        default_factory=lambda: Duration(seconds=100),
        description="How often each entity is re-read: a random time between this and 1.5 times it.")
    orphanStrategy: Literal["keep", "delete"] = "delete"
    orphanProviderStrategy: Literal["keep", "delete"] = "delete"
    readonly: bool = False
    defaultLocationConflictStrategy: Literal["reject", "refresh"] = "reject"
    allowedFileRoots: list[str] | None = Field(
        None, description="Folders that file locations may read below; default: the working directory "
                          "and the folders of configured file locations.")
    processingBatchSize: int = Field(250, ge=1, le=5000)
    stitchWorker: bool = Field(
        True, description="Stitch large imports in a helper process so they use a second core (ignored on "
                          "one-core machines and in-memory SQLite).")
    stitchWorkerThreshold: int = Field(2000, ge=1, description="Queued stitches that start the helper process.")
    listCacheMegabytes: int = Field(
        512, ge=0, description="Disk space for whole lists (`GET /entities` without paging) asked for again "
                               "in a catalog generation, kept and sent again from there; 0 turns this off.")
    entityCacheMegabytes: int = Field(
        128, ge=0, description="Memory for entities kept by ref for `GET /entities/by-name`, valid until any "
                              "replica changes the catalog (PostgreSQL's LISTEN/NOTIFY, SQLite's data_version); "
                              "0 turns this off.")
    limits: Limits = Limits()

    @model_validator(mode="after")
    def _positive_interval(self) -> CatalogConfig:
        if self.processingInterval is not False and self.processingInterval.total_seconds <= 0:
            raise ValueError("processingInterval must be positive (or false to switch processing off)")
        return self
