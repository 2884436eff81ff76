"""Helpers shared by the catalog API modules: Backstage's errors, raw SQL in either driver's style, cursors."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, NoReturn

import orjson
from sqlalchemy import Connection, Engine
from starlette.exceptions import HTTPException

from greenroom.plugins.catalog.store.bulk import execute_driver, execute_raw


class ApiError(HTTPException):
    """An error the app turns into Backstage's error body; the status picks the name (400 = InputError...)."""


def input_error(message: str) -> NoReturn:
    """Raise Backstage's InputError (400)."""
    raise ApiError(400, message)


def not_found(message: str) -> NoReturn:
    """Raise Backstage's NotFoundError (404)."""
    raise ApiError(404, message)


def run(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run SQL written with `?` marks through the raw driver, translating marks for psycopg.

    Every literal value travels as a parameter, so the SQL text holds no other `?` or `%` to confuse this."""
    return execute_raw(conn, _in_driver_style(sql, conn.dialect.name), params)


def lookup(engine: Engine, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """`run` for a single statement on a pooled driver connection, without a SQLAlchemy `Connection` around it:
    for the busiest lookups, whose Python side costs as much as PostgreSQL's."""
    dialect = engine.dialect.name
    raw = engine.raw_connection()
    try:
        return execute_driver(raw.driver_connection, dialect == "postgresql", _in_driver_style(sql, dialect), params)
    finally:
        raw.close()


def _in_driver_style(sql: str, dialect: str) -> str:
    return sql.replace("?", "%s") if dialect == "postgresql" else sql


def marks(count: int) -> str:
    """`?, ?, ...` for an IN-list of `count` values (callers keep lists under the drivers' limits)."""
    return ", ".join("?" for _ in range(count))


def like_escape(text: str) -> str:
    """`text` with LIKE wildcards escaped, for patterns compared with `ESCAPE '\\'`."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def encode_cursor(data: dict[str, Any]) -> str:
    """An opaque cursor: base64 of the JSON state, like Backstage's."""
    return base64.b64encode(orjson.dumps(data)).decode("ascii")


def decode_cursor(value: str, name: str = "cursor") -> dict[str, Any]:
    """The state inside a cursor; a cursor that is not ours is the caller's mistake (400)."""
    try:
        data = orjson.loads(base64.b64decode(value.encode("ascii"), validate=False))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        input_error(f"Malformed {name}, could not be parsed")
    if not isinstance(data, dict):
        input_error(f"Malformed {name}, could not be parsed")
    return data


def blob(value: Any) -> bytes:
    """A stored entity column as bytes (psycopg may hand back memoryview)."""
    return value if isinstance(value, bytes) else bytes(value)


def json_array(blobs: Sequence[bytes]) -> bytes:
    """A JSON array of already-serialized values, without parsing them again."""
    return b"[" + b",".join(blobs) + b"]"
