"""``pulse user`` and ``pulse apikey``, run as processes against the store a server uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from pulse_core.testing.server import running_pulse

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant}]
"""
PASSWORD = "correct horse"


def pulse(tmp_path: Path, *arguments: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    config = tmp_path / "cli.yaml"
    config.write_text(CONFIG + f"storage: {{url: 'sqlite:///{tmp_path / 'pulse.db'}'}}\n")
    return subprocess.run(
        [sys.executable, "-m", "pulse_core.cli", *arguments[:2], "--config", str(config),
         *arguments[2:]],
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
    )


async def test_a_user_and_a_key_made_on_the_command_line_sign_in(tmp_path: Path) -> None:
    user = pulse(
        tmp_path, "user", "create", "--username", "olga", "--role", "admin", "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    key = pulse(tmp_path, "apikey", "create", "--name", "grafana", "--role", "viewer")
    assert user.returncode == 0, user.stderr
    assert "created admin olga" in user.stdout and PASSWORD not in user.stdout + user.stderr
    assert key.returncode == 0, key.stderr
    assert "shown only now" in key.stderr
    secret = key.stdout.strip()
    async with running_pulse(CONFIG, tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            as_olga = await client.get("/api/auth/session", auth=("olga", PASSWORD))
            by_key = await client.get(
                "/api/auth/session", headers={"Authorization": f"Bearer {secret}"}
            )
            setup_required = (await client.get("/api/auth/setup-required")).json()
    assert (as_olga.status_code, as_olga.json()["role"]) == (200, "admin")
    assert (by_key.status_code, by_key.json()["name"], by_key.json()["role"]) == (
        200, "grafana", "viewer",
    )
    assert setup_required is False


async def test_set_password_replaces_the_old_one(tmp_path: Path) -> None:
    pulse(tmp_path, "user", "create", "--username", "olga", "--password-stdin",
          stdin=PASSWORD + "\n")
    reset = pulse(tmp_path, "user", "set-password", "--username", "olga", "--password-stdin",
                  stdin="brand new secret\n")
    unknown = pulse(tmp_path, "user", "set-password", "--username", "ghost", "--password-stdin",
                    stdin="brand new secret\n")
    assert reset.returncode == 0, reset.stderr
    assert unknown.returncode == 1 and "no user 'ghost'" in unknown.stderr
    async with running_pulse(CONFIG, tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            old = await client.get("/api/auth/session", auth=("olga", PASSWORD))
            new = await client.get("/api/auth/session", auth=("olga", "brand new secret"))
    assert (old.status_code, new.status_code) == (401, 200)


def test_mistakes_are_explained(tmp_path: Path) -> None:
    first = pulse(tmp_path, "user", "create", "--username", "olga", "--password-stdin",
                  stdin=PASSWORD + "\n")
    taken = pulse(tmp_path, "user", "create", "--username", "olga", "--password-stdin",
                  stdin=PASSWORD + "\n")
    no_terminal = pulse(tmp_path, "user", "create", "--username", "ivan")
    short = pulse(tmp_path, "user", "create", "--username", "ivan", "--password-stdin",
                  stdin="short\n")
    bad_role = pulse(tmp_path, "apikey", "create", "--name", "x", "--role", "root")
    assert first.returncode == 0
    assert taken.returncode == 1 and "'olga' is taken" in taken.stderr
    assert no_terminal.returncode == 1 and "--password-stdin" in no_terminal.stderr
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr


def test_a_common_password_is_refused_with_the_reason(tmp_path: Path) -> None:
    refused = pulse(
        tmp_path, "user", "create", "--username", "olga", "--password-stdin",
        stdin="Password1\n",
    )
    assert refused.returncode == 1
    assert "most common passwords" in refused.stderr and "choose another" in refused.stderr
