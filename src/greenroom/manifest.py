"""What a plugin says about itself: the `manifest` object at the top of its module."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType

from pydantic import BaseModel

PLUGIN_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
RESERVED_IDS = frozenset({"app", "organization", "backend", "integrations", "static", "core"})


@dataclass(frozen=True)
class PluginManifest:
    """Declares a plugin. Put one, named `manifest`, in the module your entry point names.

    `id` is the plugin's config key, its URL prefix (`/api/<id>`) and its table prefix. `requires` lists plugin
    ids that must be enabled too; they are set up first. `hookspecs` is a module of pluggy hookspecs that this
    plugin publishes as extension points for other plugins.
    """

    id: str
    name: str
    version: str
    description: str = ""
    config_model: type[BaseModel] | None = None
    requires: tuple[str, ...] = ()
    hookspecs: ModuleType | None = None
    homepage: str | None = None
    core_versions: str = ">=0.1"  # the Greenroom versions this plugin works with, as a PEP 440 range

    def problems(self) -> list[str]:
        """What is wrong with this manifest, in words a plugin author can act on."""
        found = []
        if not PLUGIN_ID.match(self.id) or len(self.id) > 40:
            found.append(f"id {self.id!r} must be lower-case letters, digits and dashes, starting with a letter")
        if self.id in RESERVED_IDS:
            found.append(f"id {self.id!r} is reserved by the core")
        if not self.name.strip():
            found.append("name must not be empty")
        if not self.version.strip():
            found.append("version must not be empty")
        return found
