"""Core services handed to plugins through their context."""
