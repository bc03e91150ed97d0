"""One email handed to an SMTP server, and its failures told apart.

The outbound policy is applied to the server's address first (the same rules as for
webhooks: loopback, link-local and metadata addresses refused unless allowed). Then
aiosmtplib connects with implicit TLS or STARTTLS, verifying the server's certificate
against the system's CAs, ``outbound.ca_file`` and ``ca_file``, logs in, and sends.

A 5xx reply (authentication refused, a recipient or sender refused, a message rejected), an
untrusted certificate (reported as every notifier reports one, see
:mod:`pulse_core.contract.trust`) or a server lacking STARTTLS/AUTH is permanent: retrying
cannot help, the configuration must change. A 4xx reply, a refused connection or a timeout passes.
"""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from pulse_core.contract import DeliveryError, OutboundPolicy, certificate_refusal
from pulse_notify_email.options import EmailOptions

#: Seconds for each step of the conversation; the core's delivery timeout bounds the whole.
SMTP_TIMEOUT_S = 20.0


async def send_email(
    options: EmailOptions, outbound: OutboundPolicy, message: EmailMessage
) -> str:
    """Send ``message``; return the server's answer to it, or raise :class:`DeliveryError`."""
    port = options.resolved_port
    await outbound.check_host(options.host, port)
    where = f"{options.host}:{port}"
    encrypted = options.tls or options.starttls
    try:
        _, answer = await aiosmtplib.send(
            message,
            hostname=options.host,
            port=port,
            username=options.username,
            password=options.password,
            use_tls=options.tls,
            start_tls=options.starttls,
            tls_context=outbound.tls_context(options.ca_file) if encrypted else None,
            timeout=SMTP_TIMEOUT_S,
        )
    except (aiosmtplib.SMTPException, OSError) as error:
        raise _failure(where, error) from None
    return answer


def _failure(where: str, error: aiosmtplib.SMTPException | OSError) -> DeliveryError:
    """The :class:`DeliveryError` an SMTP failure means (permanent or passing)."""
    refusal = certificate_refusal(where, error)
    if refusal is not None:
        return refusal
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return DeliveryError(
            f"{where} refused the login (check username and password): SMTP {error.code} "
            f"{error.message}",
            permanent=True,
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return _refused(where, error.code, error.message)
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        first = error.recipients[0]
        return _refused(where, first.code, f"{first.recipient}: {first.message}")
    if isinstance(
        error,
        (
            aiosmtplib.SMTPTimeoutError,
            aiosmtplib.SMTPConnectError,
            aiosmtplib.SMTPServerDisconnected,
            OSError,
        ),
    ):
        return DeliveryError(f"{where}: cannot reach the mail server: {error}")
    # no STARTTLS, no AUTH: a configuration mismatch
    return DeliveryError(f"{where}: {error}", permanent=True)


def _refused(where: str, code: int, text: str) -> DeliveryError:
    return DeliveryError(f"{where} answered SMTP {code} {text}", permanent=500 <= code < 600)
