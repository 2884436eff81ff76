"""Config: layered `app-config.yaml` files validated against typed models."""

from greenroom.config.errors import ConfigError
from greenroom.config.loader import LoadedConfig, default_config_files, load_config
from greenroom.config.models import CoreConfig, StrictModel, secret
from greenroom.config.validation import ConfigValidationError, masked, validate_core, validate_plugins

__all__ = [
    "ConfigError",
    "ConfigValidationError",
    "CoreConfig",
    "LoadedConfig",
    "StrictModel",
    "default_config_files",
    "load_config",
    "masked",
    "secret",
    "validate_core",
    "validate_plugins",
]
