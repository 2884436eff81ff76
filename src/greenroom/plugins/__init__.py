"""Built-in plugins: features of Greenroom written on the same API as third-party plugins."""
