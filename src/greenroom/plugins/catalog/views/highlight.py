"""Server-side syntax highlighting with Pygments, so definitions read well without any front-end code.

Pygments escapes every token it emits, which is what makes highlighting hostile text safe to mark up. Very
large texts are shown plain (still escaped): lexing megabytes on each page view would stall the worker.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers.data import JsonLexer, YamlLexer
from pygments.lexers.dsls import ProtoBufLexer
from pygments.lexers.graphql import GraphQLLexer
from pygments.lexers.special import TextLexer

MAX_HIGHLIGHT_CHARS = 512 * 1024
CSS_CLASS = "gr-code"
LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"


def lexer_for(kind: str, text: str) -> Lexer:
    """The lexer for a definition of `spec.type` `kind`; JSON documents get the JSON lexer."""
    if kind in ("openapi", "asyncapi", "swagger", "json", "yaml"):
        return JsonLexer() if text.lstrip().startswith(("{", "[")) else YamlLexer()
    if kind == "graphql":
        return GraphQLLexer()
    if kind in ("grpc", "protobuf", "proto"):
        return ProtoBufLexer()
    # Guessing a lexer runs every lexer's heuristics over hostile text; plain text is the honest default.
    return TextLexer()


def highlight(text: str, kind: str) -> tuple[Markup, bool]:
    """`text` as a highlighted `<pre>`; the flag tells whether it was too large and was left plain."""
    if len(text) > MAX_HIGHLIGHT_CHARS:
        return Markup(f'<div class="{CSS_CLASS}"><pre><code>{escape(text)}</code></pre></div>'), False
    formatter = HtmlFormatter(cssclass=CSS_CLASS, wrapcode=True)
    return Markup(pygments_highlight(text, lexer_for(kind, text), formatter)), True


def stylesheet() -> str:
    """The token colours for light and dark themes (static/views/highlight.css is this text).

    Backgrounds come from the shell's custom properties so a code block sits on the portal's own surfaces."""
    light: str = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(f".{CSS_CLASS}")  # type: ignore[no-untyped-call]
    dark: str = HtmlFormatter(style=DARK_STYLE).get_style_defs(f".{CSS_CLASS}")  # type: ignore[no-untyped-call]

    def scoped(css: str, prefix: str) -> list[str]:
        out = []
        for line in css.splitlines():
            # Lexers flag odd-but-valid tokens as errors; a red box around them would only alarm readers.
            if line.startswith(f".{CSS_CLASS}") and " .hll " not in line and " .err " not in line:
                out.append(f"{prefix}{line}" if prefix else line)
        return out

    lines = ["/* Made by greenroom.plugins.catalog.views.highlight.stylesheet(); do not edit by hand. */"]
    lines += scoped(light, "")
    lines.append(":root[data-theme=\"dark\"] .gr-code { color: #e6edf3; }")
    lines += scoped(dark, ":root[data-theme=\"dark\"] ")
    lines.append("@media (prefers-color-scheme: dark) {")
    lines.append(":root[data-theme=\"system\"] .gr-code { color: #e6edf3; }")
    lines += scoped(dark, ":root[data-theme=\"system\"] ")
    lines.append("}")
    lines.append(f".{CSS_CLASS}, :root .{CSS_CLASS} {{ background: var(--gr-surface-2) !important; }}")
    return "\n".join(lines) + "\n"
