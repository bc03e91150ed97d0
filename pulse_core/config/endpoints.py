"""Checked targets → endpoints: expansion, inherited defaults, names and stable ids."""

from __future__ import annotations

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
from pulse_core.config.targets import CheckedTarget, KeptTarget
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
    targets: Iterable[CheckedTarget | KeptTarget],
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
        if isinstance(target, KeptTarget):
            made: Iterable[Endpoint] = target.endpoints
            count = len(target.endpoints)
        else:
            planned = _hosts(target, defaults.max_addresses_per_target, issues)
            if planned is None:
                continue
            count, hosts = planned
            made = (
                _endpoint(target, host, defaults, group_sites or {}, identities) for host in hosts
            )
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
        for endpoint in made:
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
        return 1, (_kept(text),)
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
    # Shared by thousands of endpoints: one string each, not one per endpoint.
    group_id = sys.intern(section.group)
    return _made(
        id=_hashed_identity(
            section.type, host, section.port,
            identities.of(target.options, target.probe.identity_options),
        ),
        name=_kept(section.name or "") if target.address_key == "host" else (
            f"{section.name} {host}" if section.name is not None else ""
        ),
        group_id=group_id,
        type=sys.intern(section.type),
        host=host,
        port=section.port,
        expected_rtt_ms=section.expected_rtt_ms,
        enabled=section.enabled,
        notes=None if section.notes is None else _kept(section.notes),
        options=target.options,
        settings=_settings(
            (section.interval_seconds, section.timeout_ms, section.retries,
             section.failure_threshold, section.success_threshold, section.site),
            group_id, defaults, group_sites,
        ),
    )


#: the ``targets[]`` keys whose values an endpoint takes from ``defaults`` (``site``: from
#: its group) when its target does not give them, in the order of :data:`Settings`
INHERITED_KEYS = (
    "interval_seconds", "timeout_ms", "retries", "failure_threshold", "success_threshold", "site"
)
#: an endpoint's ``interval_s``, ``timeout_ms``, ``retries``, ``failure_threshold``,
#: ``success_threshold`` and ``site``
Settings = tuple[float, int, int, int, int, str | None]


def own_settings(target: Mapping[str, Any]) -> int:
    """Which of :data:`INHERITED_KEYS` the ``targets[]`` entry ``target`` gives itself, one
    bit each (the first key the lowest): what an endpoint keeps when the defaults or its
    group change (:meth:`Context.settled`)."""
    if target.keys().isdisjoint(INHERITED_KEYS):
        return 0  # most targets: every setting inherited
    bits = 0
    for bit, key in enumerate(INHERITED_KEYS):
        # an empty site is no site: the group's applies (``_settings``)
        if (target.get(key) if key == "site" else target.get(key) is not None):
            bits |= 1 << bit
    return bits


class Context:
    """The defaults and group sites a configuration's endpoints are made with; what
    :meth:`settled` makes the endpoint of an unchanged target follow."""

    def __init__(self, defaults: DefaultsSection, group_sites: Mapping[str, str]) -> None:
        self.defaults = defaults
        self.group_sites = group_sites
        #: the settings of the endpoints of a group whose target gives none itself (most)
        self._inherited: dict[str, Settings] = {}

    def settled(self, endpoint: Endpoint, own: int) -> Endpoint:
        """``endpoint`` (of a target that gives the settings ``own`` says, see
        :func:`own_settings`) as its target would make it in this context: the very object
        when that changes nothing."""
        current: Settings = (
            endpoint.interval_s, endpoint.timeout_ms, endpoint.retries,
            endpoint.failure_threshold, endpoint.success_threshold, endpoint.site,
        )
        group_id = endpoint.group_id
        if own:
            given = tuple(value if own >> bit & 1 else None for bit, value in enumerate(current))
            settings = _settings(given, group_id, self.defaults, self.group_sites)
        else:
            inherited = self._inherited.get(group_id)
            if inherited is None:
                inherited = self._inherited[group_id] = _settings(
                    _NONE_GIVEN, group_id, self.defaults, self.group_sites
                )
            settings = inherited
        if settings == current:
            return endpoint
        try:
            name = _OWN_NAME.__get__(endpoint, Endpoint)
        except AttributeError:
            name = ""  # unnamed: ``name`` would build ``TCP 10.0.0.5``
        return _made(
            id=endpoint.id, name=name, group_id=group_id, type=endpoint.type,
            host=endpoint.host, port=endpoint.port, expected_rtt_ms=endpoint.expected_rtt_ms,
            enabled=endpoint.enabled, notes=endpoint.notes, options=endpoint.options,
            settings=settings,
        )


#: what a target that gives none of the inherited settings gives
_NONE_GIVEN = (None,) * len(INHERITED_KEYS)


#: the slot of an endpoint's own name, empty for an unnamed one
_OWN_NAME = Endpoint.name


def _settings(
    own: tuple[Any, ...], group_id: str, defaults: DefaultsSection,
    group_sites: Mapping[str, str],
) -> Settings:
    """The settings of an endpoint whose target gives ``own`` (in the order of
    :data:`Settings`, ``None`` for those it does not give)."""
    interval, timeout, retries, failures, successes, site = own
    return (
        _interval(defaults.interval_seconds if interval is None else interval),
        defaults.timeout_ms if timeout is None else timeout,
        defaults.retries if retries is None else retries,
        defaults.failure_threshold if failures is None else failures,
        defaults.success_threshold if successes is None else successes,
        site or group_sites.get(group_id),
    )


def _kept(text: str) -> str:
    """``text``, a string of the parsed document that an endpoint keeps, in memory of its own.

    The parser makes a document's strings among the parse's short-lived objects (events,
    mappings, keys), and one string kept from each target held that memory for as long as
    the configuration ran: at 100,000 targets the load left 574 bytes an endpoint resident
    where its endpoints need 329; with their strings copied once the parse is done, 397."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")


def _made(
    *, id: str, name: str, group_id: str, type: str, host: str, port: int | None,
    expected_rtt_ms: float | None, enabled: bool, notes: str | None, options: Any,
    settings: Settings,
) -> Endpoint:
    """An endpoint, its fields given by name here and passed in their order: a changed
    default makes every endpoint again, and keywords gathered into a dict and spread into
    ``Endpoint`` took a third of the 60 ms 10,000 of them took."""
    interval_s, timeout_ms, retries, failure_threshold, success_threshold, site = settings
    return Endpoint(
        id, name, group_id, type, host, port, interval_s, timeout_ms, retries,
        failure_threshold, success_threshold, expected_rtt_ms, enabled, notes, options, site,
    )


@functools.cache
def _interval(seconds: float) -> float:
    """One float object per distinct interval, not one per endpoint."""
    return float(seconds)


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
