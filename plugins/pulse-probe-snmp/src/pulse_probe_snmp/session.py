"""pysnmp, reduced to what a check needs: sign a GET with the right credentials, send it,
and turn pysnmp's indications into short sentences.

One ``SnmpEngine`` serves every check of a probe: it owns the single UDP socket, the request
table and the SNMPv3 engine discovery cache, and building one loads MIB modules (slow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import SecretStr
from pyasn1.type import univ
from pysnmp.hlapi.v3arch.asyncio import (
    USM_AUTH_HMAC96_MD5,
    USM_AUTH_HMAC96_SHA,
    USM_AUTH_HMAC128_SHA224,
    USM_AUTH_HMAC192_SHA256,
    USM_AUTH_HMAC256_SHA384,
    USM_AUTH_HMAC384_SHA512,
    USM_AUTH_NONE,
    USM_PRIV_CBC56_DES,
    USM_PRIV_CBC168_3DES,
    USM_PRIV_CFB128_AES,
    USM_PRIV_CFB192_AES_BLUMENTHAL,
    USM_PRIV_CFB256_AES_BLUMENTHAL,
    USM_PRIV_NONE,
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    Udp6TransportTarget,
    UdpTransportTarget,
    UsmUserData,
    bulk_walk_cmd,
    get_cmd,
)
from pysnmp.proto import errind, rfc1905

from pulse_probe_snmp.options import DEFAULT_COMMUNITY, Credentials

AUTH_PROTOCOLS = {
    "MD5": USM_AUTH_HMAC96_MD5,
    "SHA": USM_AUTH_HMAC96_SHA,
    "SHA-224": USM_AUTH_HMAC128_SHA224,
    "SHA-256": USM_AUTH_HMAC192_SHA256,
    "SHA-384": USM_AUTH_HMAC256_SHA384,
    "SHA-512": USM_AUTH_HMAC384_SHA512,
}
#: AES-192 and AES-256 keys are extended the way net-snmp does it (Blumenthal's draft)
PRIV_PROTOCOLS = {
    "DES": USM_PRIV_CBC56_DES,
    "3DES": USM_PRIV_CBC168_3DES,
    "AES": USM_PRIV_CFB128_AES,
    "AES-192": USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES-256": USM_PRIV_CFB256_AES_BLUMENTHAL,
}

#: pysnmp's indications a person can act on, worded for a dashboard cell
_INDICATIONS: dict[type[errind.ErrorIndication], str] = {
    errind.UnknownUserName: "SNMPv3 user unknown to the device",
    errind.WrongDigest: "SNMPv3 authentication failed (check auth_key and auth_protocol)",
    errind.DecryptionError: "SNMPv3 decryption failed (check priv_key and priv_protocol)",
    errind.UnsupportedSecurityLevel: "the device refuses this SNMPv3 security level",
    errind.UnknownEngineID: "SNMPv3 engine discovery failed",
    errind.NotInTimeWindow: "SNMPv3 clocks disagree (not in time window)",
}
#: what a varbind holds instead of a value when the device has none
_MISSING = {
    rfc1905.NoSuchObject: "no such object",
    rfc1905.NoSuchInstance: "no such instance",
    rfc1905.EndOfMibView: "no such object (end of MIB)",
}


class SnmpError(Exception):
    """The device answered with an error, or not as asked; the text is short."""


@dataclass(frozen=True, slots=True)
class Auth:
    """Credentials with the defaults applied: what a request is signed with."""

    version: str
    community: str
    user: str | None
    auth_protocol: str
    auth_key: SecretStr | None
    priv_protocol: str
    priv_key: SecretStr | None


def resolve(target: Credentials, defaults: Credentials | None) -> Auth:
    """A target's own keys win over ``defaults.snmp``. Without a ``version``, a ``user``
    means 3 and a ``community`` 2c, so a target that gives a community is read with it even
    when ``defaults.snmp`` is about SNMPv3."""

    def pick(key: str) -> Any:
        value = getattr(target, key)
        return value if value is not None or defaults is None else getattr(defaults, key)

    version = _version_of(target) or (_version_of(defaults) if defaults else None) or "2c"
    return Auth(
        version=version,
        community=pick("community") or DEFAULT_COMMUNITY,
        user=pick("user"),
        auth_protocol=pick("auth_protocol") or "SHA",
        auth_key=pick("auth_key"),
        priv_protocol=pick("priv_protocol") or "AES",
        priv_key=pick("priv_key"),
    )


def _version_of(credentials: Credentials) -> str | None:
    if credentials.version is not None:
        return credentials.version
    if credentials.user is not None:
        return "3"
    return "2c" if credentials.community is not None else None


@lru_cache(maxsize=1024)
def auth_data(auth: Auth) -> CommunityData | UsmUserData:
    """pysnmp's object for ``auth``; cached, since pysnmp configures its engine per object."""
    if auth.version == "2c":
        return CommunityData(auth.community, mpModel=1)
    if auth.user is None:
        raise SnmpError("version 3 needs a user (in the target or in defaults.snmp)")
    auth_key = auth.auth_key.get_secret_value() if auth.auth_key else None
    priv_key = auth.priv_key.get_secret_value() if auth.priv_key else None
    return UsmUserData(
        auth.user,
        authKey=auth_key,
        privKey=priv_key,
        authProtocol=AUTH_PROTOCOLS[auth.auth_protocol] if auth_key else USM_AUTH_NONE,
        privProtocol=PRIV_PROTOCOLS[auth.priv_protocol] if priv_key else USM_PRIV_NONE,
    )


async def target(
    host: str, port: int, ipv6: bool, timeout_s: float
) -> UdpTransportTarget | Udp6TransportTarget:
    """pysnmp's own retries are off: retries are the engine's job, counted per check."""
    kind = Udp6TransportTarget if ipv6 else UdpTransportTarget
    return await kind.create((host, port), timeout=timeout_s, retries=0)


async def get(
    engine: SnmpEngine,
    auth: Auth,
    transport: UdpTransportTarget | Udp6TransportTarget,
    oids: Sequence[str],
) -> list[Any]:
    """The values of ``oids``, in order; :class:`SnmpError` when any is missing or refused.

    ``lookupMib=False``: values stay the wire's types, without a MIB lookup per varbind."""
    indication, status, index, varbinds = await get_cmd(
        engine,
        auth_data(auth),
        transport,
        ContextData(),
        *(ObjectType(ObjectIdentity(oid)) for oid in oids),
        lookupMib=False,
    )
    _raise_for(indication, status, index, oids, auth)
    return [value for _, value in varbinds]


async def walk(
    engine: SnmpEngine,
    auth: Auth,
    transport: UdpTransportTarget | Udp6TransportTarget,
    column: str,
) -> dict[int, Any]:
    """One column of a table (``ifDescr``) by row index, read with GETBULK (GETNEXT for
    SNMPv1-style agents is not needed: every version this probe speaks has GETBULK)."""
    rows: dict[int, Any] = {}
    prefix = column + "."
    async for indication, status, index, varbinds in bulk_walk_cmd(
        engine, auth_data(auth), transport, ContextData(), 0, 25,
        ObjectType(ObjectIdentity(column)), lookupMib=False, lexicographicMode=False,
    ):
        _raise_for(indication, status, index, [column], auth)
        for name, value in varbinds:
            oid = str(name)
            if oid.startswith(prefix) and missing(value) is None:
                rows[int(oid[len(prefix):].split(".")[0])] = value
    return rows


def missing(value: Any) -> str | None:
    """``no such object`` (and its kind) when a varbind holds no value, else ``None``."""
    return _MISSING.get(type(value))


def plain(value: Any) -> int | str:
    """A varbind's value as JSON can carry it: counters, gauges and ticks as numbers, text as
    text, addresses and OIDs as people write them, binary strings in hex."""
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.OctetString) and value.tagSet == univ.OctetString.tagSet:
        octets = bytes(value.asOctets())
        try:
            text = octets.decode()
        except UnicodeDecodeError:
            return "0x" + octets.hex()
        return text if text.isprintable() else "0x" + octets.hex()
    return str(value.prettyPrint())


def _raise_for(
    indication: errind.ErrorIndication | None, status: Any, index: Any, oids: Sequence[str],
    auth: Auth,
) -> None:
    """``TimeoutError`` for silence (the probe words it: it knows the timeout), else
    :class:`SnmpError` for any other failure of a request."""
    if isinstance(indication, errind.RequestTimedOut):
        raise TimeoutError
    if indication:
        raise SnmpError(_describe_indication(indication, auth))
    if status:
        position = int(index or 0)
        oid = oids[position - 1] if 0 < position <= len(oids) else None
        word = status.prettyPrint() if hasattr(status, "prettyPrint") else status
        raise SnmpError(_describe_status(str(word), oid))


def _describe_indication(indication: errind.ErrorIndication, auth: Auth) -> str:
    for kind, text in _INDICATIONS.items():
        if isinstance(indication, kind):
            return f"{text}: {auth.user}" if kind is errind.UnknownUserName else text
    return f"SNMP error: {indication}"


def _describe_status(status: str, oid: str | None) -> str:
    where = f" ({oid})" if oid else ""
    if status == "authorizationError":
        return f"not authorized to read{where}: check the community's or user's view"
    return f"SNMP error: {status}{where}"
