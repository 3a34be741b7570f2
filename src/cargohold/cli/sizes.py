"""Sizes on the command line: ``--quota 10GiB`` (or ``none``) in, ``1.5 GiB`` out."""

from __future__ import annotations

import enum

import click

from cargohold.core.sizes import human, parse_limit


class Unlimited(enum.Enum):
    """``none`` given for a limit (an option not given at all is None)."""

    UNLIMITED = "none"


UNLIMITED = Unlimited.UNLIMITED


class SizeLimit(click.ParamType[int | Unlimited]):
    """A size such as 500MB or 10GiB in bytes, or UNLIMITED for ``none``."""

    name = "size"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int | Unlimited:
        if isinstance(value, int | Unlimited):
            return value
        try:
            found = parse_limit(str(value))
        except ValueError as exc:
            self.fail(f"{exc}, or none for no limit", param, ctx)
        return UNLIMITED if found is None else found


def limit_text(value: int | None) -> str:
    return "none" if value is None else human(value)


__all__ = ["UNLIMITED", "SizeLimit", "Unlimited", "limit_text"]
