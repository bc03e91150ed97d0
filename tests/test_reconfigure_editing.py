"""Editing targets in the YAML text: the change is made, everything else stays as written."""

from __future__ import annotations

import pytest

from pulse_core.config import load_config
from pulse_core.config.editing import (
    TargetEditError,
    TargetRef,
    append_target,
    endpoint_targets,
    remove_target,
    update_target,
)
from pulse_core.models import Endpoint, ProbeResult
from pulse_core.probe import Probe


class TcpLike(Probe):
    type_name = "tcp"
    port_required = True

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        return ProbeResult.success(1.0)


class IcmpLike(Probe):
    type_name = "icmp"

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        return ProbeResult.success(1.0)


PROBES: dict[str, type[Probe]] = {"tcp": TcpLike, "icmp": IcmpLike}

COMMENTED = """\
# Plant network, owned by OT
version: 1
defaults:
    interval_seconds: 10   # every ten seconds
groups:
    - id: plant
      name: Plant
targets:
    # the line 3 PLC
    - name: PLC 3
      type: tcp
      host: 10.0.0.5      # fixed address
      port: 502
      group: plant
    - {type: icmp, cidr: 10.0.1.0/30, group: plant}
    - type: icmp
      host: ${HMI_HOST}
      group: plant
"""


def test_append_keeps_comments_indentation_and_flow_entries() -> None:
    text, index = append_target(
        COMMENTED, {"group": "plant", "port": 80, "type": "tcp", "host": "10.0.0.9", "name": "New"}
    )
    assert index == 3
    assert text.startswith(COMMENTED)  # nothing above the new entry moved or changed
    assert text[len(COMMENTED):] == (
        "    - name: New\n"
        "      type: tcp\n"
        "      host: 10.0.0.9\n"
        "      port: 80\n"
        "      group: plant\n"
    )


def test_update_changes_only_the_keys_given_and_removes_nulls() -> None:
    text = update_target(COMMENTED, 0, {"name": "PLC 3 (line 3)", "port": None, "notes": "moved"})
    assert "    - name: PLC 3 (line 3)\n" in text
    assert "port: 502" not in text
    assert "      host: 10.0.0.5      # fixed address\n" in text
    assert "      notes: moved\n" in text
    assert "    interval_seconds: 10   # every ten seconds\n" in text
    assert "# the line 3 PLC" in text


def test_remove_drops_one_entry() -> None:
    text = remove_target(COMMENTED, 1)
    assert "cidr" not in text
    assert "name: PLC 3" in text and "${HMI_HOST}" in text
    assert "# Plant network, owned by OT" in text


def test_flow_style_documents_stay_flow_style() -> None:
    flow = (
        "version: 1\ngroups: [{id: plant, name: Plant}]\n"
        "targets: [{type: icmp, host: a, group: plant}]\n"
    )
    text, index = append_target(flow, {"type": "icmp", "host": "b", "group": "plant"})
    assert index == 1
    assert text == (
        "version: 1\ngroups: [{id: plant, name: Plant}]\n"
        "targets: [{type: icmp, host: a, group: plant}, {type: icmp, host: b, group: plant}]\n"
    )


def test_a_missing_target_is_an_edit_error() -> None:
    with pytest.raises(TargetEditError, match=r"targets\[7\]"):
        update_target(COMMENTED, 7, {"name": "x"})
    with pytest.raises(TargetEditError, match="no targets list"):
        append_target("version: 1\n", {"type": "icmp"})


def test_endpoints_are_traced_to_their_targets() -> None:
    environ = {"HMI_HOST": "hmi-3.plant.local"}
    config = load_config(COMMENTED, probes=PROBES, environ=environ)
    refs = endpoint_targets(config, COMMENTED, environ)
    by_host = {endpoint.host: refs[endpoint.id] for endpoint in config.endpoints}
    assert by_host["10.0.0.5"] == TargetRef(0, "host", "10.0.0.5")
    assert by_host["10.0.1.1"] == TargetRef(1, "cidr", "10.0.1.0/30")
    assert by_host["10.0.1.2"] == TargetRef(1, "cidr", "10.0.1.0/30")
    assert by_host["hmi-3.plant.local"] == TargetRef(2, "host", "hmi-3.plant.local")
    assert by_host["10.0.1.1"].is_range and not by_host["10.0.0.5"].is_range
    assert len(refs) == len(config.endpoints) == 4
    with pytest.raises(ValueError, match="not the one the configuration came from"):
        endpoint_targets(config, COMMENTED + "# edited since\n", environ)


def test_edited_text_loads_with_the_change() -> None:
    environ = {"HMI_HOST": "hmi-3.plant.local"}
    text, _ = append_target(COMMENTED, {"type": "tcp", "host": "10.0.0.9", "port": 80,
                                        "group": "plant"})
    config = load_config(text, probes=PROBES, environ=environ)
    assert [endpoint.address for endpoint in config.endpoints][-1] == "10.0.0.9:80"


def test_edits_touch_only_the_lines_of_their_entry() -> None:
    text = (
        "version: 1\n"
        "targets:\n"
        "  - name: Press\n"
        "    type: tcp\n"
        "    notes: |\n"
        "      spare at the gate\n"
        "\n"
        "  # the HMI of line 3, reached over VPN\n"
        "  -\n"
        "    # on-site spare: 10.0.0-7\n"
        "    type: icmp\n"
        "    host: 10.0.0.7   # keep\n"
        "  - {type: icmp, host: 10.0.0.8, group: plant}\n"
        "storage: {url: 'sqlite:///x.db'}"
    )
    renamed = update_target(text, 1, {"name": "HMI 3"})
    # the changed entry is written in the usual layout, its comment kept; nothing else moves
    assert renamed == text.replace(
        "  -\n    # on-site spare: 10.0.0-7\n    type: icmp\n    host: 10.0.0.7   # keep\n",
        "    # on-site spare: 10.0.0-7\n  - type: icmp\n    host: 10.0.0.7   # keep\n"
        "    name: HMI 3\n",
    )
    # a block scalar ends after the blank lines that follow it: they go with their entry
    assert remove_target(text, 0) == text.replace(
        "  - name: Press\n    type: tcp\n    notes: |\n      spare at the gate\n\n", ""
    )
    flow_entry = update_target(text, 2, {"group": "office"})
    assert "  - {type: icmp, host: 10.0.0.8, group: office}\n" in flow_entry
    appended, index = append_target(text, {"type": "icmp", "host": "10.0.0.9"})
    assert index == 3
    assert appended == text.replace(
        "group: plant}\n", "group: plant}\n  - type: icmp\n    host: 10.0.0.9\n"
    )


def test_an_entry_using_an_anchor_elsewhere_is_edited_in_the_whole_document() -> None:
    text = (
        "base: &tcp {type: tcp, port: 502}\n"
        "targets:\n"
        "  - <<: *tcp\n"
        "    host: 10.0.0.5\n"
    )
    changed = update_target(text, 0, {"port": 503})
    assert changed.startswith("base: &tcp {type: tcp, port: 502}\n")
    assert "port: 503" in changed and "<<: *tcp" in changed


@pytest.mark.parametrize("flow", [False, True])
def test_a_crlf_file_stays_crlf(flow: bool) -> None:
    text = COMMENTED if not flow else (
        "version: 1\ndefaults: {}\ngroups: [{id: plant, name: Plant}]\n"
        "targets: [{type: icmp, host: 10.0.0.5, group: plant}]\n"
    )
    crlf = text.replace("\n", "\r\n")
    added, _ = append_target(crlf, {"type": "icmp", "host": "10.0.0.9", "group": "plant"})
    changed = update_target(added, 0, {"name": "PLC 3a"})
    assert "10.0.0.9" in changed and "PLC 3a" in changed
    assert changed.count("\n") == changed.count("\r\n") >= 4
