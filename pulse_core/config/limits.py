"""Every bound on what a configuration may hold, and the text types that enforce them.

A configuration comes from people who may apply it through the API, so nothing in it may be
unbounded: a 10 MB name would be stored, sent to every dashboard and put in every alert, and
a NUL in a host would reach the resolver. The figures are explained in
``docs/configuration.md`` (Limits); the loader, the YAML reader and the API all take them
from here.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

#: a name shown in lists and alerts: an endpoint, group, target or notifier name, an actor
NAME_MAX_CHARS = 200
#: the longest DNS name (RFC 1035); an IP literal or a network is shorter
HOST_MAX_CHARS = 253
#: free text for people: ``notes``, the note of a configuration version
NOTES_MAX_CHARS = 2000
#: an HTTP path and query; what common servers accept in a request line
PATH_MAX_CHARS = 2048
#: the text an HTTP check looks for in a body
MATCH_MAX_CHARS = 1000
#: the value of a header an HTTP check sends
HEADER_MAX_CHARS = 1000
#: a probe type or a group id referred to by a target (group ids are 64 at most)
KEY_MAX_CHARS = 64
#: a file's path: ``server.tls``'s certificate and key (Linux's ``PATH_MAX``)
FILE_PATH_MAX_CHARS = 4096
#: any scalar of the YAML at all (a notifier's message template is the longest in practice)
TEXT_MAX_CHARS = 65_536
#: shown of a value in an error report; the rest is cut, so a refused 10 MB value is not
#: sent back whole
SHOWN_MAX_CHARS = 200

#: the most addresses one ``cidr``/``wildcard`` may stand for (a /16); the document's
#: ``defaults.max_addresses_per_target`` may lower it, not raise it
ADDRESSES_PER_TARGET_CEILING = 65_536
#: the most endpoints a configuration may have unless the administrator sets
#: ``PULSE_MAX_ENDPOINTS`` in Pulse's environment (never in the document)
ENDPOINTS_CEILING = 100_000
ENDPOINTS_CEILING_VARIABLE = "PULSE_MAX_ENDPOINTS"
#: how long reading and validating a configuration applied through the API may take
VALIDATION_SECONDS = 60.0
#: the largest configuration the API takes, in bytes: about four times a 20,000-target file.
#: Locating the errors of a file composes its node tree in one uninterruptible step, whose
#: time and memory grow with the text (about 70 MB of memory per MB of YAML)
TEXT_MAX_BYTES = 4 * 1024 * 1024

#: a DNS name: labels of letters, digits, ``-`` and ``_`` (1 to 63, no ``-`` at either end)
#: between dots, and perhaps a final dot
_DNS_LABEL = r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)"
_DNS_NAME = re.compile(rf"(?:{_DNS_LABEL}\.)*{_DNS_LABEL}\.?")
#: what Unicode calls control characters (category Cc, a fixed set): one search in C, where
#: a loop over ``unicodedata.category`` took about 2 µs for each name of a large file
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: the same but tabs and line breaks (``\t``, ``\n``, ``\r``)
_CONTROL_BUT_LINE_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def endpoints_ceiling(environ: Mapping[str, str]) -> int:
    """The endpoint ceiling: ``PULSE_MAX_ENDPOINTS`` if the administrator set it, else the
    built-in one; a value that is not a whole number ≥ 1 is a ``ValueError`` for people."""
    written = environ.get(ENDPOINTS_CEILING_VARIABLE, "").strip()
    if not written:
        return ENDPOINTS_CEILING
    if not written.isdigit() or int(written) < 1:
        raise ValueError(
            f"the environment variable {ENDPOINTS_CEILING_VARIABLE} is {written!r}: "
            "set it to a whole number of endpoints, or unset it for "
            f"{ENDPOINTS_CEILING:,}"
        )
    return int(written)


def shown(value: object) -> object:
    """``value`` as an error report may show it: a long text cut to its start."""
    if isinstance(value, str) and len(value) > SHOWN_MAX_CHARS:
        return value[:SHOWN_MAX_CHARS] + f"… ({len(value):,} characters)"
    return value


def control_character(text: str, line_breaks: bool = False) -> str | None:
    """The first control character in ``text`` (tabs and line breaks allowed if
    ``line_breaks``), written ``U+0000``; ``None`` when there is none."""
    found = (_CONTROL_BUT_LINE_BREAKS if line_breaks else _CONTROL).search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _one_line(text: str) -> str:
    found = control_character(text)
    if found is not None:
        raise PydanticCustomError(
            "control_character", "must not contain control characters ({found}): "
            "write plain text on one line", {"found": found},
        )
    return text


def _multi_line(text: str) -> str:
    found = control_character(text, line_breaks=True)
    if found is not None:
        raise PydanticCustomError(
            "control_character", "must not contain control characters ({found})",
            {"found": found},
        )
    return text


def _host(text: str) -> str:
    """An IP address or a DNS name: letters, digits, ``-`` and ``_`` in dot-separated
    labels of at most 63, as resolvers take them."""
    candidate = text.strip()
    # The name's pattern first: it takes every IPv4 address too, in a fraction of the time
    # ``ipaddress`` takes to parse one.
    if _DNS_NAME.fullmatch(candidate):
        return text
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        raise PydanticCustomError(
            "host", "must be an IP address or a host name (letters, digits, '-' and '_' "
            "between dots, 63 at most between two dots)",
        ) from None
    return text


# The length bounds sit before the character check in each type: pydantic would check a
# bound written after it (``Field(min_length=1)`` on a field of these types) as a list's.

#: a name on one line, possibly empty
Name = Annotated[str, Field(max_length=NAME_MAX_CHARS), AfterValidator(_one_line)]
#: a name on one line that must be given
RequiredName = Annotated[
    str, Field(min_length=1, max_length=NAME_MAX_CHARS), AfterValidator(_one_line)
]
#: a host name or IP address
Host = Annotated[str, Field(max_length=HOST_MAX_CHARS), AfterValidator(_host)]
#: a network or wildcard, checked as such by :mod:`pulse_core.config.expand`
Network = Annotated[str, Field(max_length=HOST_MAX_CHARS), AfterValidator(_one_line)]
#: a probe type or group id a target refers to
Key = Annotated[str, Field(max_length=KEY_MAX_CHARS), AfterValidator(_one_line)]
#: free text, line breaks allowed
Notes = Annotated[str, Field(max_length=NOTES_MAX_CHARS), AfterValidator(_multi_line)]
#: an HTTP path and query
UrlPath = Annotated[str, Field(max_length=PATH_MAX_CHARS), AfterValidator(_one_line)]
#: text looked for in a body, line breaks allowed; not empty
MatchText = Annotated[
    str, Field(min_length=1, max_length=MATCH_MAX_CHARS), AfterValidator(_multi_line)
]
#: an HTTP header value
HeaderValue = Annotated[str, Field(max_length=HEADER_MAX_CHARS), AfterValidator(_one_line)]
#: an HTTP header value that must be given
RequiredHeaderValue = Annotated[
    str, Field(min_length=1, max_length=HEADER_MAX_CHARS), AfterValidator(_one_line)
]
