"""Targets become endpoints: expansion, inherited defaults, names and stable ids."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

HEAD = """\
version: 1
defaults:
{defaults}groups:
  - {{id: plant, name: Plant}}
  - {{id: hall, name: Hall}}
targets:
"""


def config_text(*targets: str, defaults: str = "") -> str:
    indented = "".join(f"  {line}\n" for line in defaults.splitlines())
    return HEAD.format(defaults=indented or "  {}\n") + "".join(
        f"  - {target}\n" for target in targets
    )


# expansion ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "count", "first", "last"),
    [
        ("cidr: 10.0.0.0/24", 254, "10.0.0.1", "10.0.0.254"),
        ("cidr: 10.0.0.9/32", 1, "10.0.0.9", "10.0.0.9"),
        ("cidr: 10.0.0.8/31", 2, "10.0.0.8", "10.0.0.9"),
        ("cidr: '2001:db8::/120'", 255, "2001:db8::1", "2001:db8::ff"),
        ("cidr: '2001:db8::7/128'", 1, "2001:db8::7", "2001:db8::7"),
        ("wildcard: 192.168.1.*", 254, "192.168.1.1", "192.168.1.254"),
    ],
)
def test_ranges_expand_to_every_host(load, address: str, count: int, first: str, last: str) -> None:
    endpoints = load(config_text(f"{{type: icmp, group: plant, {address}}}")).endpoints
    assert len(endpoints) == count
    assert (endpoints[0].host, endpoints[-1].host) == (first, last)
    assert len({endpoint.id for endpoint in endpoints}) == count


def test_hostnames_stay_names(load) -> None:
    [endpoint] = load(
        config_text("{type: icmp, group: plant, host: PLC-7.plant.example}")
    ).endpoints
    assert endpoint.host == "PLC-7.plant.example"


def test_the_expansion_cap_is_checked_before_generating(load_error) -> None:
    [issue] = load_error(config_text("{type: icmp, group: plant, cidr: '2001:db8::/64'}")).issues
    assert issue.path == "targets[0].cidr"
    assert issue.message == (
        "2001:db8::/64 expands to 18,446,744,073,709,551,615 addresses, more than "
        "defaults.max_addresses_per_target (4,096): use a smaller range or raise that limit "
        "(at most 65,536)"
    )


def test_the_cap_can_be_raised_and_lowered(load, load_error) -> None:
    target = "{type: icmp, group: plant, cidr: 10.0.0.0/19}"
    assert (
        load_error(config_text(target))
        .issues[0]
        .message.startswith("10.0.0.0/19 expands to 8,190 addresses")
    )
    raised = load(config_text(target, defaults="max_addresses_per_target: 8190"))
    assert len(raised.endpoints) == 8190
    lowered = load_error(
        config_text(
            "{type: icmp, group: plant, wildcard: 10.0.0.*}",
            defaults="max_addresses_per_target: 100",
        )
    )
    assert lowered.issues[0].path == "targets[0].wildcard"


def test_the_document_cannot_raise_the_cap_past_the_ceiling(load_error) -> None:
    error = load_error(config_text(
        "{type: icmp, group: plant, cidr: 10.0.0.0/8}",
        defaults="max_addresses_per_target: 20000000",
    ))
    assert {issue.path: issue.message for issue in error.issues} == {
        "defaults.max_addresses_per_target": "must be at most 65536",
        "targets[0].cidr": "10.0.0.0/8 expands to 16,777,214 addresses, more than "
        "defaults.max_addresses_per_target (4,096): use a smaller range or raise that limit "
        "(at most 65,536)",
    }


def test_at_the_ceiling_a_range_cannot_be_raised_further(load_error) -> None:
    [issue] = load_error(config_text(
        "{type: icmp, group: plant, cidr: 10.0.0.0/15}",
        defaults="max_addresses_per_target: 65536",
    )).issues
    assert issue.message.endswith("(65,536): use a smaller range")


def test_endpoints_are_counted_before_they_are_made(load, load_error) -> None:
    targets = [f"{{type: icmp, group: plant, cidr: 10.{i}.0.0/24}}" for i in range(4)]
    environ = {"PULSE_MAX_ENDPOINTS": "600"}
    error = load_error(config_text(*targets), environ=environ)
    assert [(issue.path, issue.line) for issue in error.issues] == [("targets[2]", 10)]
    assert error.issues[0].message == (
        "with this target the configuration has more than 600 endpoints, the most this Pulse "
        "takes: check fewer addresses, or have the administrator raise PULSE_MAX_ENDPOINTS in "
        "Pulse's environment"
    )
    assert len(load(config_text(*targets[:2]), environ=environ).endpoints) == 508
    assert len(load(config_text(*targets)).endpoints) == 4 * 254  # the built-in ceiling


@pytest.mark.parametrize("written", ["many", "0", "-5"])
def test_a_wrong_endpoint_ceiling_is_an_error_for_the_administrator(load_error, written) -> None:
    [issue] = load_error(config_text("{type: icmp, group: plant, host: a}"),
                         environ={"PULSE_MAX_ENDPOINTS": written}).issues
    assert issue.message.startswith(f"the environment variable PULSE_MAX_ENDPOINTS is '{written}'")


# defaults and fields --------------------------------------------------------------------


def test_defaults_apply_unless_the_target_overrides_them(load) -> None:
    defaults = (
        "interval_seconds: 30\ntimeout_ms: 800\nretries: 0\nfailure_threshold: 3\n"
        "success_threshold: 4"
    )
    inherited, overriding = load(
        config_text(
            "{type: icmp, group: plant, host: a}",
            "{type: icmp, group: hall, host: b, interval_seconds: 5, timeout_ms: 200, retries: 2,"
            " failure_threshold: 1, success_threshold: 1, expected_rtt_ms: 12.5, notes: spare}",
            defaults=defaults,
        )
    ).endpoints
    assert (inherited.interval_s, inherited.timeout_ms, inherited.retries) == (30.0, 800, 0)
    assert (inherited.failure_threshold, inherited.success_threshold) == (3, 4)
    assert (inherited.expected_rtt_ms, inherited.notes, inherited.group_id) == (None, None, "plant")
    assert (overriding.interval_s, overriding.timeout_ms, overriding.retries) == (5.0, 200, 2)
    assert (overriding.failure_threshold, overriding.success_threshold) == (1, 1)
    assert (overriding.expected_rtt_ms, overriding.notes, overriding.group_id) == (
        12.5,
        "spare",
        "hall",
    )
    assert isinstance(inherited.interval_s, float)


def test_disabled_targets_still_produce_endpoints(load) -> None:
    endpoints = load(
        config_text("{type: icmp, group: plant, cidr: 10.0.0.0/30, enabled: false}")
    ).endpoints
    assert [endpoint.enabled for endpoint in endpoints] == [False, False]


def test_options_are_the_validated_probe_model(load) -> None:
    [web, ping] = load(
        config_text(
            "{type: http, group: plant, host: hmi-1, http_path: /status, http_match: ready}",
            "{type: icmp, group: plant, host: plc-1}",
        )
    ).endpoints
    assert (web.options.http_path, web.options.http_match) == ("/status", "ready")
    assert type(web.options).__name__ == "HttpOptions"
    assert ping.options.payload_bytes == 56


# names ----------------------------------------------------------------------------------


def test_names(load) -> None:
    names = [
        endpoint.name
        for endpoint in load(
            config_text(
                "{type: icmp, group: plant, host: 10.0.0.5}",
                "{type: tcp, group: plant, host: 10.0.0.5, port: 502}",
                "{type: tcp, group: plant, host: '2001:db8::5', port: 502}",
                "{type: http, group: plant, host: hmi.local}",
                "{type: icmp, group: plant, host: 10.0.0.6, name: Press 6}",
                "{type: tcp, group: plant, cidr: 10.0.1.0/30, port: 5900, name: HMI}",
                "{type: icmp, group: plant, wildcard: 10.0.2.*}",
            )
        ).endpoints
    ]
    assert names[:7] == [
        "ICMP 10.0.0.5",
        "TCP 10.0.0.5:502",
        "TCP [2001:db8::5]:502",
        "HTTP hmi.local",
        "Press 6",
        "HMI 10.0.1.1",
        "HMI 10.0.1.2",
    ]
    assert names[7:9] == ["ICMP 10.0.2.1", "ICMP 10.0.2.2"]


# ids ------------------------------------------------------------------------------------


def only_id(load, target: str) -> str:
    [endpoint] = load(config_text(target)).endpoints
    return endpoint.id


def test_ids_are_16_hex_digits_and_stable(load) -> None:
    target = "{type: tcp, group: plant, host: plc-1, port: 502}"
    assert re.fullmatch(r"[0-9a-f]{16}", only_id(load, target))
    assert only_id(load, target) == only_id(load, target)


def test_ids_ignore_what_does_not_change_what_is_checked(load) -> None:
    base = only_id(load, "{type: http, group: plant, host: hmi-1, port: 8080, http_path: /ok}")
    assert base == only_id(
        load,
        "{type: http, group: hall, host: HMI-1, port: 8080, http_path: /ok, name: Renamed,"
        " interval_seconds: 60, enabled: false, http_match: ready, notes: moved}",
    )


def test_ids_follow_what_is_checked(load) -> None:
    ids = {
        only_id(load, "{type: http, group: plant, host: hmi-1, port: 8080, http_path: /ok}"),
        only_id(load, "{type: http, group: plant, host: hmi-1, port: 8081, http_path: /ok}"),
        only_id(load, "{type: http, group: plant, host: hmi-2, port: 8080, http_path: /ok}"),
        only_id(load, "{type: http, group: plant, host: hmi-1, port: 8080, http_path: /health}"),
        only_id(load, "{type: tcp, group: plant, host: hmi-1, port: 8080}"),
    }
    assert len(ids) == 5


def test_ip_literals_are_compared_canonically(load) -> None:
    spelled = only_id(load, "{type: icmp, group: plant, host: '2001:DB8:0:0::1'}")
    assert spelled == only_id(load, "{type: icmp, group: plant, host: '2001:db8::1'}")


@pytest.mark.parametrize(
    ("target", "host", "port", "identity"),
    [
        ("{type: tcp, group: plant, host: 10.0.0.5, port: 502}", "10.0.0.5", 502, {}),
        ("{type: icmp, group: plant, host: 010.0.0.5}", "010.0.0.5", None, {}),
        ("{type: icmp, group: plant, host: '2001:DB8:0:0::1'}", "2001:db8::1", None, {}),
        ("{type: icmp, group: plant, host: PLC-1.Plant}", "plc-1.plant", None, {}),
        (
            "{type: http, group: plant, host: hmi, port: 80, http_path: /é}",
            "hmi", 80, {"http_path": "/é"},
        ),
    ],
)
def test_ids_hash_what_is_checked_as_json(
    load, target: str, host: str, port: int | None, identity: dict[str, str]
) -> None:
    """The id is the start of the SHA-256 of ``[type, canonical host, port, identity]`` as
    ``json.dumps`` writes it compactly: stored history is filed under it, so a faster way
    of writing it must give the very same text."""
    type_name = target.split(",")[0].removeprefix("{type: ")
    payload = json.dumps([type_name, host, port, identity], sort_keys=True, separators=(",", ":"))
    assert only_id(load, target) == hashlib.sha256(payload.encode()).hexdigest()[:16]


def test_duplicate_endpoints_name_both_targets(load_error) -> None:
    [issue] = load_error(
        config_text(
            "{type: icmp, group: plant, host: 10.0.0.5}",
            "{type: icmp, group: hall, host: 10.0.0.5, name: Again}",
        )
    ).issues
    assert issue.path == "targets[1]"
    assert (
        issue.message
        == "duplicate endpoint ICMP 10.0.0.5: targets[0] already checks it; remove one of them"
    )
    assert (issue.line, issue.column) == (9, 5)


def test_overlapping_ranges_are_one_issue_per_pair_of_targets(load_error) -> None:
    [issue] = load_error(
        config_text(
            "{type: icmp, group: plant, cidr: 10.0.0.0/24}",
            "{type: icmp, group: plant, cidr: 10.0.0.0/25}",
        )
    ).issues
    assert issue.message == (
        "duplicate endpoint ICMP 10.0.0.1 (and 125 more): targets[0] already checks it; "
        "remove one of them"
    )
