"""Signing keys (ES256), kept in the plugin's own table and rotated on an interval.

The newest key signs; a key stays published in the JWKS after it is retired until every token it signed has
expired, then it is deleted. Several replicas share the table, so any of them may rotate.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import Engine, text


class KeyStore:
    """The signing keys of one portal; reads are cached for `cache_seconds`."""

    def __init__(self, engine: Engine, rotation_seconds: int, token_seconds: int, cache_seconds: float = 30.0) -> None:
        self.engine = engine
        self.rotation_seconds = rotation_seconds
        self.token_seconds = token_seconds
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._keys: list[tuple[str, ECKey, float]] = []  # (kid, private key, created_at), newest first

    def _load(self, force: bool = False) -> list[tuple[str, ECKey, float]]:
        with self._lock:
            if force or time.monotonic() - self._loaded_at > self.cache_seconds:
                with self.engine.connect() as conn:
                    rows = conn.execute(text("SELECT kid, private_jwk, created_at FROM auth_keys "
                                             "ORDER BY created_at DESC")).all()
                self._keys = [(r[0], ECKey.import_key(json.loads(r[1])), float(r[2])) for r in rows]
                self._loaded_at = time.monotonic()
            return self._keys

    def rotate(self, now: float | None = None) -> bool:
        """Make a new key when the newest is older than the rotation interval (or there is none), and delete
        retired keys whose tokens have all expired; True when a key was made."""
        now = time.time() if now is None else now
        made = False
        with self.engine.begin() as conn:
            newest = conn.execute(text("SELECT MAX(created_at) FROM auth_keys")).scalar()
            if newest is None or now - float(newest) >= self.rotation_seconds:
                kid = uuid.uuid4().hex
                key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": "ES256"},
                                         private=True)
                conn.execute(text("UPDATE auth_keys SET retired_at = :now WHERE retired_at IS NULL"), {"now": now})
                conn.execute(text("INSERT INTO auth_keys (kid, private_jwk, public_jwk, created_at) "
                                  "VALUES (:kid, :priv, :pub, :now)"),
                             {"kid": kid, "priv": json.dumps(key.as_dict(private=True)),
                              "pub": json.dumps(key.as_dict(private=False)), "now": now})
                made = True
            conn.execute(text("DELETE FROM auth_keys WHERE retired_at IS NOT NULL AND retired_at < :limit"),
                         {"limit": now - self.token_seconds - 60})
        self._load(force=True)
        return made

    def signing_key(self) -> ECKey:
        """The newest key (one is made when the table is empty)."""
        keys = self._load()
        if not keys:
            self.rotate()
            keys = self._load(force=True)
        return keys[0][1]

    def verification_keys(self) -> KeySet:
        """Every published key; reloaded once when a token names a kid this replica has not seen yet."""
        return KeySet([ECKey.import_key(k.as_dict(private=False)) for _, k, _ in self._load()])

    def knows(self, kid: str) -> bool:
        if any(k == kid for k, _, _ in self._load()):
            return True
        return any(k == kid for k, _, _ in self._load(force=True))

    def jwks(self) -> dict[str, list[dict[str, object]]]:
        """The public keys as a JWKS document."""
        return {"keys": [dict(k.as_dict(private=False)) for _, k, _ in self._load()]}
