"""Value types of the ``plc`` options: a bad value is a one-line usage error (exit 2), never a surprise later.

Each function takes the option's text and returns the value, or raises
:class:`argparse.ArgumentTypeError` with the reason (argparse prints it with
the option's name).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pandas as pd

__all__ = ["iso_date", "parse_iso_date", "positive_int", "positive_float", "int_at_least"]


def parse_iso_date(value: str) -> pd.Timestamp:
    """``value`` as a day, only in ISO 8601 form (``YYYY-MM-DD``), as data files must write dates.

    Parameters
    ----------
    value : str
        The text given.

    Returns
    -------
    Timestamp
        Midnight of that day.

    Raises
    ------
    ValueError
        Any other form (``1/2/26`` is January 2 in one country and February 1 in another).
    """
    try:
        return pd.to_datetime(str(value).strip(), format="ISO8601").normalize()
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"{value!r} is not a date in ISO 8601 form (YYYY-MM-DD)") from None


def iso_date(value: str) -> str:
    """An option's date: ISO text ``YYYY-MM-DD`` (see :func:`parse_iso_date`)."""
    try:
        return parse_iso_date(value).date().isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(value: str) -> int:
    """A whole number of at least 1."""
    return int_at_least(1)(value)


def int_at_least(minimum: int) -> Callable[[str], int]:
    """The type of a whole number of at least ``minimum``."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum} (got {number})")
        return number

    parse.__name__ = f"whole number >= {minimum}"
    return parse


def positive_float(value: str) -> float:
    """A finite number greater than 0 (e.g. seconds)."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not (number > 0 and number != float("inf")):
        raise argparse.ArgumentTypeError(f"must be a number greater than 0 (got {value})")
    return number
