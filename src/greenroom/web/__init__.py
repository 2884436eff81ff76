"""The web shell: templating, middleware, error pages, health and branding routes."""
