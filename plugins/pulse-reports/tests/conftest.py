"""A configuration with three groups, an email notifier and the ``reports`` block of the
users' integration document, verbatim, for every test of the plugin."""

from __future__ import annotations

from pathlib import Path

#: The block as the integration document gives it, comments and all.
USERS_BLOCK = """\
reports:
  - name: Daily Network Summary
    schedule: "0 8 * * *"          # cron, five fields; optional `timezone:` (default UTC)
    format: pdf                    # pdf | csv | html
    recipients: ["admin@company.com"]
    content:
      timeRange: 24h               # 1h .. 90d, or `yesterday`, `last_week`, `last_month`
      sections: [summary, availability, performance]   # also: outages, endpoints
      endpoints: all               # or a list of group ids / endpoint names
"""

EMAIL_NOTIFIER = """\
  - name: {name}
    email:
      host: 127.0.0.1
      port: {port}
      starttls: false
      from: Pulse <pulse@company.com>
      to: ["ops@company.com"]
"""


def site_yaml(
    reports: str = USERS_BLOCK, email_notifiers: tuple[str, ...] = ("mail",), smtp_port: int = 2525
) -> str:
    """Three groups of loopback TCP targets checked once an hour, the given email notifiers
    and ``reports`` (a YAML block starting with ``reports:``)."""
    notifiers = "".join(EMAIL_NOTIFIER.format(name=name, port=smtp_port) for name in email_notifiers)
    return (
        "version: 1\n"
        "storage:\n  url: sqlite:///pulse.db\n"
        "defaults:\n  interval_seconds: 3600\n"
        "groups:\n"
        "  - {id: core, name: Core network}\n"
        "  - {id: plant, name: Plant floor}\n"
        "  - {id: office, name: Office}\n"
        "targets:\n"
        "  - {type: tcp, name: Router 1, host: 127.0.0.1, port: 1, group: core}\n"
        "  - {type: tcp, name: Router 2, host: 127.0.0.2, port: 1, group: core}\n"
        "  - {type: tcp, name: PLC 1, host: 127.0.0.3, port: 1, group: plant}\n"
        "  - {type: tcp, name: PLC 2, host: 127.0.0.4, port: 1, group: plant}\n"
        "  - {type: tcp, name: Printer, host: 127.0.0.5, port: 1, group: office}\n"
        "outbound:\n  allow_networks: [127.0.0.0/8]\n"
        + ("notifiers:\n" + notifiers if notifiers else "")
        + reports
    )


def write_config(folder: Path, text: str) -> Path:
    path = folder / "pulse.yaml"
    path.write_text(text, encoding="utf-8")
    return path
