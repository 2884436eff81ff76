"""Errors raised while reading and validating config."""

from __future__ import annotations


class ConfigError(Exception):
    """A config problem, always naming the file and, where known, the key path."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.message = message
        self.file = file
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.key:
            where.append(f"key {self.key}")
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message
