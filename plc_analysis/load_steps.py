"""The step every loader ends with: a validation result becomes a :class:`Dataset`, or an error.

Every source module (canonical folder, OneRoster, score sheet, partitioned Parquet, ...) imports
from here, and :mod:`plc_analysis.loading` (which chooses the source) sits above them all, so the
loaders never import each other.
"""

from __future__ import annotations

from typing import Literal

from .dataset import Dataset
from .errors import PLCDataError, problems_frame
from .validation import ValidationResult

__all__ = ["Errors", "finish_load"]

#: How a loader treats rows that fail validation.
Errors = Literal["raise", "quarantine"]


def finish_load(result: ValidationResult, *, source: str, errors: Errors, notes: tuple[str, ...] = ()) -> Dataset:
    """Turn a validation result into a Dataset, or raise.

    Parameters
    ----------
    result : ValidationResult
        Output of :func:`plc_analysis.validation.validate_tables`.
    source : str
        Where the data came from (shown in messages).
    errors : {"raise", "quarantine"}
        ``"raise"``: any error raises :class:`PLCDataError` listing every
        problem.  ``"quarantine"``: valid rows are loaded and the rejected ones
        kept in ``Dataset.rejected``.
    notes : tuple of str
        Loader notes kept on the dataset.

    Returns
    -------
    Dataset
    """
    if errors not in ("raise", "quarantine"):
        raise ValueError(f"errors must be 'raise' or 'quarantine', not {errors!r}")
    if errors == "raise" and any(p.severity == "error" for p in result.problems):
        raise PLCDataError(result.problems, source=source)
    return Dataset.from_tables(
        result.tables,
        problems=problems_frame(result.problems),
        rejected=result.rejected,
        source=source,
        notes=tuple(notes),
        hints=getattr(result, "hints", {}).get("scores", {}),
    )
