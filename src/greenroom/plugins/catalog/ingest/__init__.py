"""Reading entities from locations: files and globs, URLs, git repositories, and the rules that gate them."""
