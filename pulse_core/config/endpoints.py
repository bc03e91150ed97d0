"""Checked targets → endpoints: expansion, inherited defaults, names and stable ids."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import ipaddress
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from pulse_core.config.errors import IssueCollector
from pulse_core.config.expand import AddressRangeError, cidr_range, wildcard_range
from pulse_core.config.limits import (
    ADDRESSES_PER_TARGET_CEILING,
    ENDPOINTS_CEILING,
    ENDPOINTS_CEILING_VARIABLE,
)
from pulse_core.config.model import DefaultsSection
from pulse_core.config.targets import CheckedTarget
from pulse_core.models import Endpoint

if TYPE_CHECKING:
    from pulse_core.config.budget import Budget


def endpoint_id(
    type_name: str, host: str, port: int | None, options: BaseModel, identity_options: Sequence[str]
) -> str:
    """16 hex digits of a SHA-256 over what is checked, so renaming keeps an endpoint's history.

    The host is lower-cased and IP literals are written canonically (``2001:DB8:0::1`` and
    ``2001:db8::1`` are one endpoint).
    """
    return _hashed_identity(type_name, host, port, _identity_json(options, identity_options))


class _Identities:
    """The identity options of each options model, written as JSON once: targets with equal
    options share one model (``targets.py``), so a load of 10,000 targets writes a handful,
    not 10,000. Valid for one load; each model is kept beside its text, so its ``id``
    cannot be reused meanwhile."""

    def __init__(self) -> None:
        self._written: dict[int, tuple[BaseModel, str]] = {}

    def of(self, options: BaseModel, identity_options: Sequence[str]) -> str:
        found = self._written.get(id(options))
        if found is None:
            found = self._written[id(options)] = (
                options, _identity_json(options, identity_options)
            )
        return found[1]


#: ``json.dumps(..., sort_keys=True, separators=(",", ":"))``, its encoder made once rather
#: than at every call
_ID_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
#: how that encoder writes a text
_JSON_TEXT = json.encoder.encode_basestring_ascii


def _identity_json(options: BaseModel, identity_options: Sequence[str]) -> str:
    return _ID_JSON.encode(options.model_dump(mode="json", include=set(identity_options)))


def _hashed_identity(type_name: str, host: str, port: int | None, identity_json: str) -> str:
    """The id of :func:`endpoint_id`: the hash of ``[type, host, port, identity]`` as
    ``json.dumps`` writes it compactly with sorted keys, written here part by part (the
    identity once per options model): about 3 µs an endpoint, where ``json.dumps`` and
    ``ipaddress`` took 20."""
    port_json = "null" if port is None else str(port) if type(port) is int else _ID_JSON.encode(port)
    payload = (
        f"[{_JSON_TEXT(type_name)},{_JSON_TEXT(_canonical_host(host))},{port_json},"
        f"{identity_json}]"
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def build_endpoints(
    targets: Iterable[CheckedTarget],
    defaults: DefaultsSection,
    issues: IssueCollector,
    max_endpoints: int = ENDPOINTS_CEILING,
    budget: Budget | None = None,
    group_sites: Mapping[str, str] | None = None,
) -> tuple[Endpoint, ...]:
    """Every endpoint of ``targets``; two targets that check the same thing are reported.

    Each target's count is known before its endpoints are made (a range's from its prefix),
    so a configuration over ``max_endpoints`` is refused before it takes the memory.
    ``group_sites`` gives the site a target without its own inherits from its group.
    """
    endpoints: list[Endpoint] = []
    identities = _Identities()
    owner_of: dict[str, int] = {}
    duplicates: dict[tuple[int, int], list[Endpoint]] = {}
    counted = 0
    for target in targets:
        if budget is not None:
            budget.check()
        planned = _hosts(target, defaults.max_addresses_per_target, issues)
        if planned is None:
            continue
        count, hosts = planned
        if counted <= max_endpoints < counted + count:
            issues.add(
                target.path,
                f"with this target the configuration has more than {max_endpoints:,} "
                "endpoints, the most this Pulse takes: check fewer addresses, or have the "
                f"administrator raise {ENDPOINTS_CEILING_VARIABLE} in Pulse's environment",
            )
        counted += count
        if counted > max_endpoints:
            continue
        for host in hosts:
            endpoint = _endpoint(target, host, defaults, group_sites or {}, identities)
            first = owner_of.setdefault(endpoint.id, target.index)
            if first == target.index:
                endpoints.append(endpoint)
            else:
                duplicates.setdefault((first, target.index), []).append(endpoint)
    for (first, second), repeated in duplicates.items():
        more = f" (and {len(repeated) - 1} more)" if len(repeated) > 1 else ""
        issues.add(
            ("targets", second),
            f"duplicate endpoint {repeated[0].type.upper()} {repeated[0].address}{more}: "
            f"targets[{first}] already checks it; remove one of them",
        )
    return tuple(endpoints)


def _hosts(
    target: CheckedTarget, cap: int, issues: IssueCollector
) -> tuple[int, Iterable[str]] | None:
    """How many addresses ``target`` stands for, known before any is made, and the
    addresses; ``None`` after reporting why there are none."""
    key = target.address_key
    text: str = getattr(target.section, key)
    if key == "host":
        return 1, (text,)
    try:
        address_range = cidr_range(text) if key == "cidr" else wildcard_range(text)
    except AddressRangeError as error:
        issues.add((*target.path, key), str(error))
        return None
    if address_range.size > cap:
        raise_it = (
            f" or raise that limit (at most {ADDRESSES_PER_TARGET_CEILING:,})"
            if cap < ADDRESSES_PER_TARGET_CEILING else ""
        )
        issues.add(
            (*target.path, key),
            f"{text} expands to {address_range.size:,} addresses, more than "
            f"defaults.max_addresses_per_target ({cap:,}): use a smaller range{raise_it}",
        )
        return None
    return address_range.size, address_range.addresses()


def _endpoint(
    target: CheckedTarget, host: str, defaults: DefaultsSection, group_sites: Mapping[str, str],
    identities: _Identities,
) -> Endpoint:
    section = target.section
    endpoint = Endpoint(
        id=_hashed_identity(
            section.type, host, section.port,
            identities.of(target.options, target.probe.identity_options),
        ),
        name=section.name or "",
        # Shared by thousands of endpoints: one string each, not one per endpoint.
        group_id=sys.intern(section.group),
        type=sys.intern(section.type),
        host=host,
        port=section.port,
        interval_s=_interval(_inherit(section.interval_seconds, defaults.interval_seconds)),
        timeout_ms=_inherit(section.timeout_ms, defaults.timeout_ms),
        retries=_inherit(section.retries, defaults.retries),
        failure_threshold=_inherit(section.failure_threshold, defaults.failure_threshold),
        success_threshold=_inherit(section.success_threshold, defaults.success_threshold),
        expected_rtt_ms=section.expected_rtt_ms,
        enabled=section.enabled,
        notes=section.notes,
        options=target.options,
        site=section.site or group_sites.get(section.group),
    )
    if section.name is not None and target.address_key != "host":
        return dataclasses.replace(endpoint, name=f"{section.name} {host}")
    return endpoint


@functools.cache
def _interval(seconds: int) -> float:
    """One float object per distinct interval, not one per endpoint."""
    return float(seconds)


def _inherit(own: int | None, default: int) -> int:
    return default if own is None else own


def _canonical_host(host: str) -> str:
    if _IPV4.fullmatch(host):
        return host  # written canonically already: what ``ipaddress`` would give back
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.lower()


#: an IPv4 address as ``ipaddress`` writes it: four numbers of 0 to 255, no leading zeros
_IPV4_NUMBER = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"(?:{_IPV4_NUMBER}\.){{3}}{_IPV4_NUMBER}")
