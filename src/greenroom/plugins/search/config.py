"""The `search:` section of app-config.yaml."""

from __future__ import annotations

from pydantic import Field

from greenroom import StrictModel


class Duration(StrictModel):
    """A length of time, written like Backstage's: `{minutes: 10}`."""

    hours: float = Field(0, ge=0)
    minutes: float = Field(0, ge=0)
    seconds: float = Field(0, ge=0)

    @property
    def total_seconds(self) -> float:
        return self.hours * 3600 + self.minutes * 60 + self.seconds


class Schedule(StrictModel):
    """When a collator's documents are read again in full."""

    frequency: Duration = Field(default_factory=lambda: Duration(minutes=10),
                                description="Time between two full reads of the collator's documents.")
    timeout: Duration = Field(default_factory=lambda: Duration(minutes=15),
                              description="How long one full read may take before the job is abandoned.")


class CollatorConfig(StrictModel):
    """`search.collators.<type>`: settings of one document type."""

    enabled: bool = True
    schedule: Schedule = Field(default_factory=Schedule)


class SearchConfig(StrictModel):
    """Search settings. Limits follow Backstage's defaults unless noted."""

    engine: str = Field(
        "auto", min_length=1, max_length=100,
        description="`auto` (the engine of the portal's database), `sqlite`, `postgres`, or the name of an "
                    "engine another plugin registers through `search_engines`.")
    maxTermLength: int = Field(100, ge=1, le=10_000, description="Longer terms are refused with status 400.")
    maxPageLimit: int = Field(100, ge=1, le=1000, description="The largest `pageLimit` a query may ask for.")
    defaultPageLimit: int = Field(25, ge=1, le=1000, description="Results per page when `pageLimit` is absent.")
    maxResults: int = Field(10_000, ge=100, le=1_000_000,
                            description="Paging stops after this many results, so deep pages stay cheap.")
    suggestions: int = Field(8, ge=1, le=20, description="Suggestions shown under the header's search box.")
    incrementalInterval: Duration = Field(
        default_factory=lambda: Duration(seconds=2),
        description="How often collators are asked for documents changed since the last pass.")
    collators: dict[str, CollatorConfig] = Field(
        default_factory=dict, description="Per document type (`software-catalog`, `techdocs`, …): on or off and "
                                          "the schedule of full reindexing.")

    def collator(self, doc_type: str) -> CollatorConfig:
        """The settings of `doc_type` (defaults when the config does not name it)."""
        return self.collators.get(doc_type) or CollatorConfig()
