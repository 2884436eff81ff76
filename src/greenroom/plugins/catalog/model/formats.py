"""Field-format predicates with Backstage's exact rules.

Mirrors ``KubernetesValidatorFunctions``, ``CommonValidatorFunctions`` and
``makeValidator`` from ``@backstage/catalog-model``. Every predicate takes an
arbitrary value and returns ``False`` for non-strings.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

Predicate = Callable[[object], bool]

# ``re.ASCII`` plus explicit classes: Python's ``$`` would also match before a
# trailing newline, so ``\Z`` is used everywhere.
_OBJECT_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_DNS_LABEL = re.compile(r"[a-z0-9]+(?:-+[a-z0-9]+)*\Z")
_KIND = re.compile(r"[a-zA-Z][a-z0-9A-Z]*\Z")
_API_VERSION_SUFFIX = re.compile(r"[a-z0-9A-Z]+\Z")
_TAG = re.compile(r"[a-z0-9:+#]+(-[a-z0-9:+#]+)*\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*\Z")
# WHATWG "forbidden host code points"; domains additionally forbid C0 controls, % and DEL.
_FORBIDDEN_HOST = set("\x00\t\n\r #/:<>?@[\\]^|")
_SPECIAL_SCHEMES = {"http", "https", "ws", "wss", "ftp", "file"}
_FORBIDDEN_DOMAIN = re.compile(r"[\x00-\x1f%\x7f]")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_AUTHORITY_END_SPECIAL = re.compile(r"[/?#\\]")
_AUTHORITY_END = re.compile(r"[/?#]")


def is_valid_dns_label(value: object) -> bool:
    """1-63 chars of ``[a-z0-9]`` groups separated by runs of ``-`` (current Backstage rule)."""
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_DNS_LABEL.match(value))


def is_valid_dns_subdomain(value: object) -> bool:
    """1-253 chars of ``.``-separated DNS labels."""
    return (
        isinstance(value, str)
        and 1 <= len(value) <= 253
        and all(is_valid_dns_label(part) for part in value.split("."))
    )


def is_valid_prefix_and_or_suffix(
    value: object, separator: str, is_valid_prefix: Predicate, is_valid_suffix: Predicate
) -> bool:
    """``suffix`` or ``prefix<separator>suffix``; more than one separator is invalid."""
    if not isinstance(value, str):
        return False
    parts = value.split(separator)
    if len(parts) == 1:
        return is_valid_suffix(parts[0])
    if len(parts) == 2:
        return is_valid_prefix(parts[0]) and is_valid_suffix(parts[1])
    return False


def is_valid_entity_name(value: object) -> bool:
    """1-63 chars; ``[A-Za-z0-9]`` groups separated by any of ``-_.`` runs."""
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_OBJECT_NAME.match(value))


def is_valid_namespace(value: object) -> bool:
    """Namespaces are DNS labels (lower case only)."""
    return is_valid_dns_label(value)


def is_valid_kind(value: object) -> bool:
    """1-63 chars, a letter followed by letters and digits."""
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_KIND.match(value))


def _is_api_version_suffix(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_API_VERSION_SUFFIX.match(value))


def is_valid_api_version(value: object) -> bool:
    """``[dns-subdomain/]suffix`` with suffix 1-63 alphanumerics."""
    return is_valid_prefix_and_or_suffix(value, "/", is_valid_dns_subdomain, _is_api_version_suffix)


def is_valid_label_key(value: object) -> bool:
    """``[dns-subdomain/]name`` where name follows the entity-name rule."""
    return is_valid_prefix_and_or_suffix(value, "/", is_valid_dns_subdomain, is_valid_entity_name)


def is_valid_label_value(value: object) -> bool:
    """Empty, or the entity-name rule."""
    return value == "" or is_valid_entity_name(value)


def is_valid_annotation_key(value: object) -> bool:
    """Same rule as label keys."""
    return is_valid_label_key(value)


def is_valid_annotation_value(value: object) -> bool:
    """Any string."""
    return isinstance(value, str)


def is_valid_tag(value: object) -> bool:
    """1-63 chars of ``[a-z0-9:+#]`` groups separated by single ``-``."""
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_TAG.match(value))


def is_non_empty_string(value: object) -> bool:
    """A string with at least one non-whitespace character (JS ``trim()``)."""
    return isinstance(value, str) and len(value.strip()) >= 1


def _valid_port(port: str) -> bool:
    return port == "" or (port.isascii() and port.isdigit() and int(port) <= 65535)


def _valid_host(host: str, special: bool) -> bool:
    if host.startswith("["):
        if not host.endswith("]"):
            return False
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    if not _FORBIDDEN_HOST.isdisjoint(host):
        return False
    if not special:
        return True
    if _FORBIDDEN_DOMAIN.search(host):
        return False
    if not host.isascii():
        try:
            host.encode("idna")
        except UnicodeError:
            return False
    return True


def is_valid_url(value: object) -> bool:
    """Approximates WHATWG ``new URL(value)`` succeeding without a base URL.

    Absolute URLs with any scheme pass; special schemes (http, https, ws, wss,
    ftp, file) need a well-formed host, and every scheme needs a valid port.
    """
    if not isinstance(value, str):
        return False
    # The URL parser trims C0 controls and spaces and drops tabs and newlines.
    text = value.strip(_C0_AND_SPACE).replace("\t", "")
    text = text.replace("\n", "").replace("\r", "")
    scheme, sep, rest = text.partition(":")
    if not sep or not _SCHEME.match(scheme):
        return False
    special = scheme.lower() in _SPECIAL_SCHEMES
    if special:
        rest = rest.lstrip("/\\")
    elif rest.startswith("//"):
        rest = rest[2:]
    else:
        return True
    authority = (_AUTHORITY_END_SPECIAL if special else _AUTHORITY_END).split(rest, maxsplit=1)[0]
    host_port = authority.rpartition("@")[2]
    if host_port.startswith("["):
        end = host_port.find("]")
        host, after = host_port[: end + 1], host_port[end + 1 :]
        if end == -1 or (after and not after.startswith(":")):
            return False
        port = after[1:]
    else:
        host, _, port = host_port.partition(":")
    if not _valid_port(port):
        return False
    if host == "":
        return not special or scheme.lower() == "file"
    return _valid_host(host, special)


@dataclass(frozen=True, slots=True)
class Validators:
    """The overridable set of field validators (Backstage's ``makeValidator``)."""

    is_valid_api_version: Predicate = is_valid_api_version
    is_valid_kind: Predicate = is_valid_kind
    is_valid_entity_name: Predicate = is_valid_entity_name
    is_valid_namespace: Predicate = is_valid_namespace
    is_valid_label_key: Predicate = is_valid_label_key
    is_valid_label_value: Predicate = is_valid_label_value
    is_valid_annotation_key: Predicate = is_valid_annotation_key
    is_valid_annotation_value: Predicate = is_valid_annotation_value
    is_valid_tag: Predicate = is_valid_tag


def make_validators(**overrides: Predicate) -> Validators:
    """Default validators with some replaced, e.g. ``make_validators(is_valid_tag=f)``."""
    return dataclasses.replace(Validators(), **overrides)


_NAME_TEXT = (
    "a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total"
)
_TAG_TEXT = "a string that is sequences of [a-z0-9:+#] separated by [-], at most 63 characters in total"
_DNS_TEXT = "a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total"

# Keyed by rule id; the texts are Backstage's ``FieldFormatEntityPolicy`` expectations.
EXPECTATIONS: dict[str, str] = {
    "format.api-version": "a valid prefix and/or suffix",
    "format.kind": "a string that is a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 characters in total",
    "format.entity-name": _NAME_TEXT,
    "format.namespace": _DNS_TEXT,
    "format.label-key": "a valid prefix and/or suffix",
    "format.label-value": _NAME_TEXT,
    "format.annotation-key": "a valid prefix and/or suffix",
    "format.annotation-value": "a string",
    "format.tag": _TAG_TEXT,
    "format.link-url": "a string that is a valid url",
    "format.link-title": "a non empty string",
    "format.link-icon": "a non empty string",
}

ADR_LINK = (
    "To learn more about catalog file format, visit: https://github.com/backstage/backstage/blob/master/"
    "docs/architecture-decisions/adr002-default-catalog-file-format.md"
)


def format_detail(field: str, rule: str, value: object) -> str:
    """Backstage's ``"<field>" is not valid; expected <...> but found "<value>".`` text."""
    expectation = EXPECTATIONS.get(rule)
    found = f' expected {expectation} but found "{value}".' if expectation else ""
    return f'"{field}" is not valid;{found} {ADR_LINK}'
