"""The built-in engines and how `search.engine` picks one among them and those plugins register."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from greenroom.plugins.search.config import SearchConfig
from greenroom.plugins.search.engines.postgres import PostgresEngine
from greenroom.plugins.search.engines.sqlite import SqliteEngine
from greenroom.plugins.search.model import EngineFactory, SearchEngine


def _sqlite(ctx: Any) -> SearchEngine:
    return SqliteEngine(ctx.database.engine, _config(ctx).maxResults)


def _postgres(ctx: Any) -> SearchEngine:
    return PostgresEngine(ctx.database.engine, _config(ctx).maxResults)


def _config(ctx: Any) -> SearchConfig:
    assert isinstance(ctx.config, SearchConfig)
    return ctx.config


BUILTIN = (EngineFactory("sqlite", _sqlite, ("sqlite",)), EngineFactory("postgres", _postgres, ("postgresql",)))


class EngineChoiceError(ValueError):
    """`search.engine` names no engine, or one that cannot use this database."""


def choose(name: str, dialect: str, factories: Iterable[EngineFactory]) -> EngineFactory:
    """The factory `search.engine` selects: by name, or for `auto` the one made for the portal's database."""
    known = {f.name: f for f in factories}
    if name == "auto":
        for factory in known.values():
            if dialect in factory.dialects:
                return factory
        raise EngineChoiceError(f"no search engine works on a {dialect} database; set search.engine")
    if name not in known:
        raise EngineChoiceError(f"search.engine is {name!r}, but the engines are: {', '.join(sorted(known))}")
    factory = known[name]
    if factory in BUILTIN and dialect not in factory.dialects:
        raise EngineChoiceError(f"search.engine {name!r} needs a {' or '.join(factory.dialects)} database, "
                                f"but the portal's database is {dialect}")
    return factory


__all__ = ["BUILTIN", "EngineChoiceError", "PostgresEngine", "SqliteEngine", "choose"]
