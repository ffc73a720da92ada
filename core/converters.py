"""URL converters."""

from __future__ import annotations


class IdConverter:
    """A database id: up to 18 digits, so it always fits a 64-bit integer column.

    Longer numbers are not ids; refusing them in the URL gives a plain 404 instead of an
    overflow in the database driver.
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
