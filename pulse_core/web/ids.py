"""Numeric ids in paths (``/api/users/<int:user_id>``) stop at the largest id the store's
columns hold, a signed 64-bit integer: a longer number is a 404 like any id that does not
exist, instead of an overflow inside the database driver (a 500)."""

from __future__ import annotations

from quart import Quart
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def install_id_converter(app: Quart) -> None:
    """Before any route is added: a rule takes its converter when it is added."""
    app.url_map.converters["int"] = IdConverter
