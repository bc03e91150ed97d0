"""One email handed to an SMTP server, and its failures told apart.

The outbound policy is applied to the server's address first (the same rules as for
webhooks: loopback, link-local and metadata addresses refused unless allowed). Then
aiosmtplib connects with implicit TLS or STARTTLS, verifying the server's certificate
against the system's CAs or ``cafile``, logs in, and sends.

A 5xx reply (authentication refused, a recipient or sender refused, a message rejected), an
untrusted certificate or a server lacking STARTTLS/AUTH is permanent: retrying cannot help,
the configuration must change. A 4xx reply, a refused connection or a timeout passes.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage

import aiosmtplib

from pulse_core.alerting.outbound import OutboundPolicy
from pulse_core.notifier import DeliveryError
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
            tls_context=ssl.create_default_context(cafile=options.cafile)
            if encrypted
            else None,
            timeout=SMTP_TIMEOUT_S,
        )
    except aiosmtplib.SMTPAuthenticationError as error:
        raise DeliveryError(
            f"{where} refused the login ({error.code} {error.message}): check username and password",
            permanent=True,
        ) from None
    except aiosmtplib.SMTPResponseException as error:
        raise _refused(where, error.code, error.message) from None
    except aiosmtplib.SMTPRecipientsRefused as error:
        first = error.recipients[0]
        raise _refused(
            where, first.code, f"{first.recipient}: {first.message}"
        ) from None
    except ssl.SSLCertVerificationError as error:
        raise DeliveryError(
            f"{where}: the server's certificate is not trusted ({error.verify_message}): "
            "set cafile to the CA that signs it",
            permanent=True,
        ) from None
    except (
        aiosmtplib.SMTPTimeoutError,
        aiosmtplib.SMTPConnectError,
        aiosmtplib.SMTPServerDisconnected,
        OSError,
    ) as error:
        raise DeliveryError(f"{where}: cannot reach the mail server: {error}") from None
    except (
        aiosmtplib.SMTPException
    ) as error:  # no STARTTLS, no AUTH: a configuration mismatch
        raise DeliveryError(f"{where}: {error}", permanent=True) from None
    return answer


def _refused(where: str, code: int, text: str) -> DeliveryError:
    return DeliveryError(f"{where} answered {code} {text}", permanent=500 <= code < 600)
