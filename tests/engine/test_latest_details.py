"""The latest check's details, kept small, read back as the probe gave them."""

from __future__ import annotations

from pulse_core.engine.details import LatestDetails
from pulse_core.models import Endpoint


def _endpoint(endpoint_id: str, host: str) -> Endpoint:
    return Endpoint(id=endpoint_id, name="", group_id="g", type="tcp", host=host, port=502)


def test_details_read_back_as_given_and_a_repeated_host_is_the_hosts_string() -> None:
    plc, meter = _endpoint("plc", "127.0.0.7"), _endpoint("meter", "127.0.0.8")
    details = LatestDetails()
    details.keep(plc, {"address": "".join(["127.0.0.", "7"])})
    details.keep(meter, {"status": 200, "address": "127.0.0.9", "loss_pct": 0.0})
    assert details == {
        "plc": {"address": "127.0.0.7"},
        "meter": {"status": 200, "address": "127.0.0.9", "loss_pct": 0.0},
    }
    assert details["plc"]["address"] is plc.host
    assert list(details["meter"]) == ["status", "address", "loss_pct"]


def test_no_details_forget_the_old_ones_and_so_does_leaving_the_configuration() -> None:
    plc, meter = _endpoint("plc", "127.0.0.7"), _endpoint("meter", "127.0.0.8")
    details = LatestDetails()
    details.keep(plc, {"address": "127.0.0.7"})
    details.keep(meter, {"address": "127.0.0.8"})
    details.keep(plc, {})
    assert "plc" not in details and len(details) == 1
    details.only({"plc"})
    assert details == {}
