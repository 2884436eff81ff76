"""Request bodies of the catalog API, typed so that the OpenAPI document describes them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class OrderBy(BaseModel):
    field: str
    order: Literal["asc", "desc"]


class FullTextFilter(BaseModel):
    term: str | None = None
    fields: list[str] | None = None


class EntitiesQueryBody(BaseModel):
    """POST /entities/by-query."""

    cursor: str | None = Field(None, min_length=1)
    limit: int | None = Field(None, ge=0)
    offset: int | None = Field(None, ge=0)
    orderBy: list[OrderBy] | None = None
    fullTextFilter: FullTextFilter | None = None
    fields: list[str] | None = None
    totalItems: Literal["include", "exclude"] | None = None
    query: dict[str, Any] | None = None


class EntitiesByRefsBody(BaseModel):
    """POST /entities/by-refs."""

    entityRefs: list[str]
    fields: list[str] | None = None
    query: dict[str, Any] | None = None


class FacetsBody(BaseModel):
    """POST /entity-facets."""

    facets: list[str]
    query: dict[str, Any] | None = None


class RefreshBody(BaseModel):
    """POST /refresh."""

    entityRef: str
    authorizationToken: str | None = None


class ValidateBody(BaseModel):
    """POST /validate-entity; checked by hand so that every problem comes back as `{errors: [...]}`."""

    entity: Any = None
    location: Any = None


class LocationInput(BaseModel):
    """A location to register: `{type, target}`."""

    model_config = ConfigDict(extra="forbid")
    type: str = Field(min_length=1)
    target: str = Field(min_length=1)


class LocationsQueryBody(BaseModel):
    """POST /locations/by-query."""

    cursor: str | None = None
    limit: int | None = Field(None, ge=0)
    query: dict[str, Any] | None = None


class AnalyzeBody(BaseModel):
    """POST /analyze-location (Backstage reads `catalogFilename`; its spec says `catalogFileName`)."""

    location: LocationInput
    catalogFilename: str | None = None
    catalogFileName: str | None = None
