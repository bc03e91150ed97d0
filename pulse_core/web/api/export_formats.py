"""The rows of a history export as CSV or JSON text, a page at a time.

Every format has the same columns: the endpoint (``endpointId``, ``endpointName``,
``groupId``, ``groupName``), then for ``raw`` one row per check (``ts``, ``status``,
``rttMs``, ``error``), for ``15m`` one row per bucket (``bucketTs``, ``upPct``, ``avgRttMs``,
``downEvents``, ``checks``) and for ``daily`` the same with ``bucketDate`` instead of
``bucketTs``. CSV is what Python's ``csv`` module writes (``\\r\\n`` line ends, a field quoted
only when it must be, ``null`` an empty field); JSON is ``{...header, "items": [{column:
value, ...}, ...]}``.

An export of 10,000 endpoints has hundreds of thousands of rows (millions of raw checks), so
nothing is built per row that can be built once: the store hands over plain tuples
(:meth:`~pulse_core.store.History.check_rows_many`), each endpoint's four columns are
encoded once (CSV-quoted or JSON-escaped, with the separators around them), a bucket's time
once per bucket, an hour's timestamp prefix once per hour, an error text once per text, and
a row is then one f-string of those pieces (``bench/exports.py`` compares the whole export
with ``csv.writer`` over tuples already in memory); a bucket's average is the one number
worked out per row, with ``%.2f`` (:func:`two_places`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pulse_core.store import CheckRun, RollupRun
from pulse_core.web.serialize import iso

ENDPOINT_COLUMNS = ("endpointId", "endpointName", "groupId", "groupName")
COLUMNS: dict[str, tuple[str, ...]] = {
    "raw": (*ENDPOINT_COLUMNS, "ts", "status", "rttMs", "error"),
    "15m": (*ENDPOINT_COLUMNS, "bucketTs", "upPct", "avgRttMs", "downEvents", "checks"),
    "daily": (*ENDPOINT_COLUMNS, "bucketDate", "upPct", "avgRttMs", "downEvents", "checks"),
}

#: an endpoint's four columns: ``endpointId``, ``endpointName``, ``groupId``, ``groupName``
EndpointColumns = tuple[str, str | None, str, str | None]

_HOUR_MS = 3_600_000
#: ``"MM:SS."`` of every second of an hour, and ``"fffZ"`` of every millisecond
_MINUTE_SECOND = tuple(f"{second // 60:02d}:{second % 60:02d}." for second in range(3600))
_MILLISECOND = tuple(f"{ms:03d}Z" for ms in range(1000))
#: a CSV field that csv.writer leaves unquoted
_PLAIN = re.compile(r'[^,"\r\n]*')


class _Texts(dict[Any, str]):
    """A value's encoding, worked out the first time it is asked for."""

    def __init__(self, encode: Callable[[Any], str]) -> None:
        super().__init__()
        self._encode = encode

    def __missing__(self, value: Any) -> str:
        text = self[value] = self._encode(value)
        return text


def _hour(hour: int) -> str:
    """``2024-01-15T10:`` for the ``hour``-th hour since the epoch."""
    return datetime.fromtimestamp(hour * 3600, tz=UTC).strftime("%Y-%m-%dT%H:")


def _csv_field(value: str) -> str:
    """``value`` as ``csv.writer`` writes it: quoted when it holds a comma, a quote or a
    line break."""
    if _PLAIN.fullmatch(value):
        return value  # also the empty text: alone on a row it would be ``""``, not here
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([value])
    return buffer.getvalue()[:-2]


def two_places(value: float) -> str:
    """``repr(round(value, 2))`` in a third of the time (an export writes an average per
    bucket). ``%.2f`` rounds as ``round`` does (correctly, ties to even), and the repr of
    the rounded value is that text without a last 0, as long as it has at most 15
    significant digits; larger values, infinities and NaN take the long way."""
    if -1e13 < value < 1e13:
        return ("%.2f" % value).removesuffix("0")
    return repr(round(value, 2))


def _up_pct(counts: tuple[int, int]) -> str:
    up, total = counts
    return two_places(up * 100.0 / total) if total else "0.0"


class _Syntax:
    """What differs between CSV and JSON: how a row starts, how text and null are written,
    how values are joined and how a row ends."""

    def __init__(self, kind: str, columns: Sequence[str]) -> None:
        self.csv = kind == "csv"
        self.columns = columns
        #: around a text that needs no escaping (a timestamp, a status)
        self.quote = "" if self.csv else '"'
        self.text: Callable[[str], str] = _csv_field if self.csv else json.dumps
        self.null = "" if self.csv else "null"

    def prefix(self, values: Sequence[str | None]) -> str:
        """A row's endpoint values, and the separator before its next value."""
        if self.csv:
            return "".join(f"{self.optional(value)}," for value in values)
        pairs = (f'"{name}": {self.optional(value)}' for name, value in zip(self.columns, values))
        return "{" + ", ".join(pairs) + f', "{self.columns[len(values)]}": '

    def optional(self, value: str | None) -> str:
        return self.null if value is None else self.text(value)

    def separator(self, column: int) -> str:
        """What stands between the value before ``columns[column]`` and that one."""
        return "," if self.csv else f', "{self.columns[column]}": '

    @property
    def row_end(self) -> str:
        return "\r\n" if self.csv else "}"


class RowEncoder:
    """The rows of one export, as text in ``kind`` (``csv`` or ``json``) for ``bucket``;
    ``endpoints``: each endpoint's four columns by id (plain values, so an export's worker
    process is handed them, not the catalogue)."""

    def __init__(
        self, kind: str, bucket: str, endpoints: Mapping[str, EndpointColumns]
    ) -> None:
        self.syntax = syntax = _Syntax(kind, COLUMNS[bucket])
        self._prefixes = _Texts(lambda endpoint_id: syntax.prefix(endpoints[endpoint_id]))
        #: rows of a JSON page are items of one list
        self.row_separator = "" if syntax.csv else ", "
        self.encode: Callable[[Sequence[Any]], str] = (
            self._checks if bucket == "raw" else self._rollups(bucket)
        )
        self._hours = _Texts(lambda hour: syntax.quote + _hour(hour))
        self._errors = _Texts(syntax.text)

    def _checks(self, runs: Sequence[CheckRun]) -> str:
        """Checks: ``ts``, ``status``, ``rttMs``, ``error``."""
        syntax, hours, errors = self.syntax, self._hours, self._errors
        quote = syntax.quote
        status = {True: f"{quote}up{quote}", False: f"{quote}down{quote}"}
        after_ts, after_status, after_rtt = (
            quote + syntax.separator(5), syntax.separator(6), syntax.separator(7),
        )
        null, end, second, millisecond = syntax.null, syntax.row_end, _MINUTE_SECOND, _MILLISECOND
        return self.row_separator.join(
            f"{prefix}{hours[ts // _HOUR_MS]}{second[ts % _HOUR_MS // 1000]}"
            f"{millisecond[ts % 1000]}{after_ts}{status[up]}{after_status}"
            f"{null if rtt is None else repr(rtt)}{after_rtt}"
            f"{null if error is None else errors[error]}{end}"
            for endpoint_id, rows in runs
            for prefix in (self._prefixes[endpoint_id],)
            for ts, up, rtt, error in rows
        )

    def _rollups(self, bucket: str) -> Callable[[Sequence[RollupRun]], str]:
        """Buckets: their time, ``upPct``, ``avgRttMs``, ``downEvents``, ``checks``.

        A row is five pieces: the endpoint's columns, the bucket's time and the up
        percentage (each with the separator after it, once per bucket and per pair of
        counts), the average, and the down events and checks with the row's end (once per
        pair): 15-16 % fewer instructions a row (callgrind) than formatting the counts and
        joining eight pieces in every row."""
        syntax = self.syntax
        if bucket == "daily":

            def bucket_text(ms: int) -> str:
                return syntax.text(datetime.fromtimestamp(ms / 1000, tz=UTC).date().isoformat())

        else:

            def bucket_text(ms: int) -> str:
                return syntax.optional(iso(ms / 1000))

        times = _Texts(lambda ms: bucket_text(ms) + syntax.separator(5))
        up_pcts = _Texts(lambda counts: _up_pct(counts) + syntax.separator(6))
        after_rtt, after_down, end = syntax.separator(7), syntax.separator(8), syntax.row_end
        tails = _Texts(lambda counts: f"{after_rtt}{counts[0]}{after_down}{counts[1]}{end}")
        null = syntax.null

        def encode(runs: Sequence[RollupRun]) -> str:
            return self.row_separator.join([
                f"{prefix}{times[bucket_ms]}{up_pcts[up, total]}"
                f"{two_places(rtt_sum_ms / rtt_count) if rtt_count else null}"
                f"{tails[down_events, total]}"
                for endpoint_id, rows in runs
                for prefix in (self._prefixes[endpoint_id],)
                for bucket_ms, total, up, rtt_sum_ms, rtt_count, down_events in rows
            ])

        return encode


def encoded_page(encoder: RowEncoder, runs: Sequence[Any]) -> bytes:
    """A page's rows as the bytes of the answer (nothing for a page without rows)."""
    return encoder.encode(runs).encode() if runs else b""


async def encoded_pages(
    encoder: RowEncoder, pages: AsyncIterator[Sequence[Any]]
) -> AsyncIterator[bytes]:
    """Each page's rows encoded in this process (export workers encode in theirs)."""
    async for runs in pages:
        yield encoded_page(encoder, runs)


async def csv_chunks(columns: Sequence[str], bodies: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The header row at once (the client sees the answer start before anything is read),
    then a chunk per page of rows (``bodies``: each page's encoded rows)."""
    yield ",".join(columns).encode() + b"\r\n"
    async for body in bodies:
        if body:
            yield body


async def json_chunks(
    header: Mapping[str, Any], bodies: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    """``{...header, "items": [...]}``: the header at once, then a chunk per page of rows."""
    yield json.dumps({**header, "items": []})[:-2].encode()  # without the closing ``]}``
    separator = b""
    async for body in bodies:
        if body:
            yield separator + body
            separator = b", "
    yield b"]}"
