"""The email notifier passes the TLS suite every notifier passes, with STARTTLS and with
implicit TLS; ``cafile``, the option's first spelling, is still read."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from pulse_notify_email import EmailNotifier, EmailOptions

from pulse_core.testing.notifier_tls import NotifierTlsConformance
from pulse_core.testing.tls import ServerFiles, TestCA

from .conftest import LOGIN, PASSWORD, Certificate, SmtpServer


class TestEmailStarttlsTls(NotifierTlsConformance):
    notifier_class = EmailNotifier
    implicit_tls: ClassVar[bool] = False

    @contextlib.contextmanager
    def tls_receiver(self, files: ServerFiles) -> Iterator[SmtpServer]:
        certificate = Certificate(files.certfile, files.keyfile)
        with SmtpServer(certificate, implicit_tls=self.implicit_tls) as server:
            yield server

    def options(self, receiver: SmtpServer) -> dict[str, Any]:
        return {
            "host": "127.0.0.1",
            "port": receiver.port,
            "tls": self.implicit_tls,
            "starttls": not self.implicit_tls,
            "username": LOGIN,
            "password": PASSWORD,
            "from": "pulse@plant.example",
            "to": ["ops@plant.example"],
        }

    def accepted(self, receiver: SmtpServer) -> int:
        return len(receiver.emails)


# aiosmtpd warns about AUTH without required TLS because it does not see the TLS this server
# speaks from the first byte (the socket is wrapped before aiosmtpd gets it).
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
class TestEmailImplicitTls(TestEmailStarttlsTls):
    implicit_tls = True


def test_cafile_is_read_as_ca_file(tmp_path: Any) -> None:
    ca = TestCA(tmp_path)
    block = {"host": "127.0.0.1", "from": "pulse@plant.example", "to": ["ops@plant.example"]}
    old = EmailOptions.model_validate({**block, "cafile": str(ca.ca_file)})
    new = EmailOptions.model_validate({**block, "ca_file": str(ca.ca_file)})
    assert old == new and new.ca_file is not None and new.ca_file.path == str(ca.ca_file)
