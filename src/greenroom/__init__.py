"""Greenroom: an open-source developer portal built from plugins.

This module is the public API for plugin authors; everything not exported here may change.
"""

__version__ = "0.1.0"

from greenroom.config.models import StrictModel, secret
from greenroom.context import PluginContext, ServiceRef, ServiceRegistry
from greenroom.hookspecs import hookimpl, hookspec
from greenroom.manifest import PluginManifest
from greenroom.services.cache import Cache
from greenroom.services.health import HealthCheck
from greenroom.services.identity import Identity
from greenroom.services.permissions import Decision, Permission
from greenroom.services.scheduler import ScheduledJob
from greenroom.services.url_reader import ReadResult, UrlReaderProvider, UrlReadError
from greenroom.slots import EntityCard, EntityTab, HeaderWidget, HomeCard, NavItem

__all__ = [
    "Cache",
    "Decision",
    "EntityCard",
    "EntityTab",
    "HeaderWidget",
    "HealthCheck",
    "HomeCard",
    "Identity",
    "NavItem",
    "Permission",
    "PluginContext",
    "PluginManifest",
    "ReadResult",
    "ScheduledJob",
    "ServiceRef",
    "ServiceRegistry",
    "StrictModel",
    "UrlReadError",
    "UrlReaderProvider",
    "__version__",
    "hookimpl",
    "hookspec",
    "secret",
]
