"""Values of a OneRoster gradebook read as a person reads them: score scales and dates.

Two rules :mod:`plc_analysis.oneroster` applies to gradebook files, kept apart
because each is a small reading problem of its own:

* a 1.2 **score scale** (``scoreScales.csv``) maps text scores to numbers, written
  ``{Exceeds:4},{Meets:3}`` (or ``Meets:3``, or a numeric range to a letter,
  ``{90-100:A}``); :class:`ScoreScale` turns a ``textScore`` into points;
* **dates** come in the specification's ISO form, with a time, quoted with a
  space (``"2017-05-06 08:01:05"``), or as a spreadsheet writes them
  (``1/05/2023``, ``15/06/2023``): :func:`read_dates` reads a whole column,
  deciding day-first or month-first once for the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

__all__ = ["ScoreScale", "parse_score_scale", "read_dates", "DateReading"]

_PAIR = re.compile(r"\{([^{}]*)\}")
_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(-?\d+(?:\.\d+)?)\s*%?\s*$")
_NUMBER = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*$")
_SLASHED = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b")


def _number(text: str) -> float | None:
    return float(text) if _NUMBER.match(text) else None


@dataclass(frozen=True)
class ScoreScale:
    """A score scale: which number each text score stands for.

    Attributes
    ----------
    scale_id : str
        The scale's ``sourcedId``.
    points : dict of str to float
        Text score (case-folded, spaces collapsed) -> points.  A text mapped
        from a numeric range (``{90-100:A}``) stands for the range's lower
        bound: the least the text guarantees.
    labels : tuple of str
        The text scores as written, in the scale's order (for messages).
    maximum : float or None
        The largest number on the scale (a line item's maximum when it gives none).
    """

    scale_id: str
    points: dict[str, float]
    labels: tuple[str, ...]
    maximum: float | None

    def value_of(self, text: str) -> float | None:
        """Points for a text score, or None when the scale does not list it."""
        return self.points.get(_fold(text))


def _fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def parse_score_scale(scale_id: str, cell: str) -> ScoreScale:
    """Read a ``scoreScaleValue`` cell.

    Parameters
    ----------
    scale_id : str
        The scale's ``sourcedId``.
    cell : str
        ``{lhs:rhs},{lhs:rhs}...`` (braces optional): each pair maps a text to
        a number in either order, or a numeric range to a text.

    Returns
    -------
    ScoreScale
        Pairs with no number on either side are left out (they map nothing to points).
    """
    pairs = _PAIR.findall(cell) or [p for p in re.split(r"[,;|]", cell) if p.strip()]
    points: dict[str, float] = {}
    labels: list[str] = []
    numbers: list[float] = []
    for pair in pairs:
        left, sep, right = pair.rpartition(":") if pair.count(":") > 1 else pair.partition(":")
        if not sep:
            continue
        left, right = left.strip(), right.strip()
        for text, other in ((left, right), (right, left)):
            value = _number(other)
            if value is None and (in_range := _RANGE.match(other)):
                low, high = (float(g) for g in in_range.groups())
                value = min(low, high)
                numbers.append(max(low, high))
            if value is not None and _number(text) is None and text:
                points.setdefault(_fold(text), value)
                labels.append(text)
                numbers.append(value)
                break
        else:
            numbers += [v for v in (_number(left), _number(right)) if v is not None]
    return ScoreScale(scale_id, points, tuple(labels), max(numbers) if numbers else None)


@dataclass(frozen=True)
class DateReading:
    """A column of dates as read.

    Attributes
    ----------
    iso : Series
        ``YYYY-MM-DD`` per cell, ``""`` for a blank or unreadable one.
    unreadable : Series
        Bool: the cell has text that is not a date.
    order : str
        ``"iso"``, ``"day/month/year"`` or ``"month/day/year"``: how slashed
        dates were read (``"iso"`` when there were none).
    ambiguous : bool
        Slashed dates were read month-first only because none had a day above 12.
    """

    iso: pd.Series
    unreadable: pd.Series
    order: str
    ambiguous: bool


def read_dates(values: pd.Series) -> DateReading:
    """Read a column of optional dates in any readable form.

    Slashed dates (``1/05/2023``) are read day-first when some date of the
    column has a first number above 12 (``15/06/2023``), month-first
    otherwise (the US order OneRoster's home market writes); a column never
    mixes the two.

    Parameters
    ----------
    values : Series of str
        The cells (blank = no date).

    Returns
    -------
    DateReading
    """
    text = values.fillna("").astype(str).str.strip()
    slashed = text.str.extract(_SLASHED)
    first = pd.to_numeric(slashed[0], errors="coerce")
    second = pd.to_numeric(slashed[1], errors="coerce")
    has_slash = first.notna()
    day_first = bool((first > 12).any())
    month_first = bool((second > 12).any())
    ambiguous = bool(has_slash.any()) and not day_first and not month_first
    order = "iso" if not has_slash.any() else "day/month/year" if day_first else "month/day/year"
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    filled = text != ""
    if filled.any():
        iso_like = filled & ~has_slash
        if iso_like.any():
            # an ISO date with or without a time (T or a space), a zone or fractions: the date part is the date
            parsed[iso_like] = pd.to_datetime(text[iso_like].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
            rest = iso_like & parsed.isna()
            if rest.any():
                parsed[rest] = pd.to_datetime(text[rest], format="mixed", errors="coerce", utc=True).dt.tz_localize(
                    None
                )
        if has_slash.any():
            year = pd.to_numeric(slashed[2], errors="coerce")
            year = year.where(year >= 100, year + 2000)
            day, month = (first, second) if day_first else (second, first)
            parts = pd.DataFrame({"year": year, "month": month, "day": day})[has_slash]
            parsed[has_slash] = pd.to_datetime(parts, errors="coerce")
    iso = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), "").astype(str)
    return DateReading(iso, filled & parsed.isna(), order, ambiguous)
