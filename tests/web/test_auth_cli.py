"""``pulse user`` and ``pulse apikey``, run as processes against the store a server uses."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user
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


async def pulse_beside(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The command in another process while the server of this test keeps serving."""
    return await asyncio.to_thread(pulse, tmp_path, *arguments)


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


async def test_keys_are_listed_without_secrets_and_revoked_by_name_or_id(tmp_path: Path) -> None:
    secrets = [
        pulse(tmp_path, "apikey", "create", "--name", name).stdout.strip()
        for name in ("grafana", "ci", "ci")
    ]
    listed = pulse(tmp_path, "apikey", "list")
    async with running_pulse(CONFIG, tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:

            async def status(secret: str) -> int:
                headers = {"Authorization": f"Bearer {secret}"}
                return (await client.get("/api/auth/session", headers=headers)).status_code

            before = [await status(secret) for secret in secrets]
            ambiguous = await pulse_beside(tmp_path, "apikey", "revoke", "ci")
            by_name = await pulse_beside(tmp_path, "apikey", "revoke", "grafana")
            by_id = await pulse_beside(tmp_path, "apikey", "revoke", "2")
            unknown = await pulse_beside(tmp_path, "apikey", "revoke", "nothing")
            after = [await status(secret) for secret in secrets]
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "ROLE", "OWNER", "PREFIX", "CREATED", "LAST", "USED"]
    assert [row.split()[:3] for row in rows] == [
        ["1", "grafana", "viewer"], ["2", "ci", "viewer"], ["3", "ci", "viewer"]
    ]
    assert all("(command line)" in row and row.endswith("never") for row in rows)
    assert not any(secret in listed.stdout + listed.stderr for secret in secrets)
    assert before == [200, 200, 200]
    assert ambiguous.returncode == 1 and "ids 2, 3" in ambiguous.stderr
    assert by_name.returncode == 0 and "'grafana' (id 1) is revoked" in by_name.stdout
    assert by_id.returncode == 0 and "'ci' (id 2)" in by_id.stdout
    assert unknown.returncode == 1 and "pulse apikey list" in unknown.stderr
    assert after == [401, 401, 200]


async def test_disable_and_enable_act_on_the_running_servers_next_request(tmp_path: Path) -> None:
    pulse(tmp_path, "user", "create", "--username", "boss", "--role", "admin",
          "--password-stdin", stdin=PASSWORD + "\n")
    async with running_pulse(CONFIG, tmp_path) as server:
        olga = await add_user(server, "olga", Role.EDITOR, PASSWORD)
        async with server.client(authenticated=False, auth=("olga", PASSWORD)) as as_olga:
            key = (await as_olga.post("/api/apikeys", json={"name": "olga's"})).json()
        async with server.client(authenticated=False) as browser:
            await browser.post("/api/auth/login", json={"username": "olga", "password": PASSWORD})

            async def olga_statuses() -> list[int]:
                by_key = await browser.get(
                    "/api/auth/session", headers={"Authorization": f"Bearer {key['key']}"},
                )
                by_cookie = await browser.get("/api/auth/session")
                by_password = await browser.get("/api/auth/session", auth=("olga", PASSWORD))
                return [by_key.status_code, by_cookie.status_code, by_password.status_code]

            before = await olga_statuses()
            disabled = await pulse_beside(tmp_path, "user", "disable", "olga")
            while_disabled = await olga_statuses()
            enabled = await pulse_beside(tmp_path, "user", "enable", "olga")
            after = await olga_statuses()
            last_admin = await pulse_beside(tmp_path, "user", "disable", "boss")
            ghost = await pulse_beside(tmp_path, "user", "disable", "ghost")
            listed = await pulse_beside(tmp_path, "user", "list")
        async with server.client(authenticated=False, auth=("boss", PASSWORD)) as boss:
            boss_status = (await boss.get("/api/auth/session")).status_code
    assert olga.active and before == [200, 200, 200]
    assert disabled.returncode == 0, disabled.stderr
    assert "sessions have ended" in disabled.stdout and "next request" in disabled.stdout
    assert while_disabled == [401, 401, 401]
    # the session was deleted with the deactivation: enabling does not bring it back
    assert enabled.returncode == 0 and after == [200, 401, 200]
    assert last_admin.returncode == 1 and "last active administrator" in last_admin.stderr
    assert boss_status == 200
    assert ghost.returncode == 1 and "no user 'ghost'" in ghost.stderr
    rows = [line.split()[:4] for line in listed.stdout.splitlines()]
    assert rows == [["ID", "USERNAME", "ROLE", "ACTIVE"], ["1", "boss", "admin", "yes"],
                    ["2", "olga", "editor", "yes"]]


def test_reset_password_and_its_alias_take_the_username_either_way(tmp_path: Path) -> None:
    pulse(tmp_path, "user", "create", "--username", "olga", "--password-stdin",
          stdin=PASSWORD + "\n")
    reset = pulse(tmp_path, "user", "reset-password", "olga", "--password-stdin",
                  stdin="brand new secret\n")
    alias = pulse(tmp_path, "user", "set-password", "--username", "olga", "--password-stdin",
                  stdin="another new secret\n")
    nobody = pulse(tmp_path, "user", "reset-password", "--password-stdin", stdin="x\n")
    assert reset.returncode == 0 and "new password set for olga" in reset.stdout
    assert alias.returncode == 0 and "new password set for olga" in alias.stdout
    assert nobody.returncode == 2 and "name the user" in nobody.stderr


@contextmanager
def unwritable(paths: list[Path]) -> Iterator[None]:
    """Files this process may read but not write, as files another user left would be.
    Root writes any file whatever its owner and mode, so for root they are made immutable."""
    as_root = os.geteuid() == 0
    for path in paths:
        if as_root:
            subprocess.run(["chattr", "+i", str(path)], check=True)
        else:
            path.chmod(0o444)
    try:
        yield
    finally:
        for path in paths:
            if as_root:
                subprocess.run(["chattr", "-i", str(path)], check=True)


KILLED_WRITER = """
import os, signal, sqlite3, sys
database = sqlite3.connect(sys.argv[1])
database.execute("create table if not exists left_behind (n integer)")
database.execute("insert into left_behind values (1)")
database.commit()
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_wal_files_left_by_another_user_are_one_clear_message(tmp_path: Path) -> None:
    """A Pulse killed while writing leaves ``-wal`` and ``-shm`` beside the database; made
    by another user, the command cannot write them."""
    pulse(tmp_path, "apikey", "create", "--name", "first")
    database = tmp_path / "pulse.db"
    subprocess.run([sys.executable, "-c", KILLED_WRITER, str(database)], check=False)
    leftovers = [tmp_path / "pulse.db-wal", tmp_path / "pulse.db-shm"]
    assert all(path.exists() for path in leftovers)
    with unwritable(leftovers):
        refused = pulse(tmp_path, "apikey", "create", "--name", "second")
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr and len(refused.stderr.splitlines()) == 1
    assert str(database) in refused.stderr and "pulse.db-wal" in refused.stderr
    assert "run this command as the user Pulse runs as" in refused.stderr


def test_a_key_name_on_the_command_line_is_one_line_as_through_the_api(tmp_path: Path) -> None:
    forged = pulse(tmp_path, "apikey", "create", "--name", "ci\nINFO pulse: forged line")
    assert forged.returncode == 2
    assert "must not contain control characters" in forged.stderr
    assert forged.stdout == ""
