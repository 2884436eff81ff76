"""The `permission:` section of app-config.yaml."""

from __future__ import annotations

from pydantic import Field, model_validator

from greenroom.config.models import StrictModel


class PermissionConfig(StrictModel):
    enabled: bool = Field(False, description="Ask the policy; when false every decision is ALLOW.")
    policy: str | None = Field(None, description="The YAML policy file (relative to the working directory).")

    @model_validator(mode="after")
    def _policy(self) -> PermissionConfig:
        if self.enabled and not self.policy:
            raise ValueError("permission.policy (a policy file) is required when permission.enabled is true")
        return self
