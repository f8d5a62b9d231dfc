"""Metric results kept on their Dataset, so one report computes each table once.

A team report asks for the same tables several times: :func:`~plc_analysis.talking_points`
needs the proficiency table, the comparison of each teacher with the team, the
item statistics and the rater calibration, which the report also shows.  The
metrics are pure functions of a Dataset (never changed once loaded) and of
their arguments, so :func:`cached_metric` keeps each result in the Dataset's
cache.  Callers get a shallow copy: with pandas' copy-on-write, a caller that
changes its copy leaves the cached table as it was.  A filtered Dataset is a
new Dataset with an empty cache.  Only aggregates are cached (tables per skill,
teacher, item or rater pair), never a table with a row per response.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

import pandas as pd

__all__ = ["cached_metric"]

F = TypeVar("F", bound=Callable[..., Any])


def _fresh(value: Any) -> Any:
    """A copy of a cached result that the caller may change freely."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=False)
    if isinstance(value, tuple):
        return tuple(_fresh(v) for v in value)
    return value


def _hashable(value: Any) -> Any:
    """Lists and dicts among the arguments (``by=["team", "teacher"]``, ``**filters``) as tuples."""
    if isinstance(value, list):
        return ("list", tuple(_hashable(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _hashable(v)) for k, v in value.items())))
    if isinstance(value, tuple):
        return tuple(_hashable(v) for v in value)
    return value


def cached_metric(func: F) -> F:
    """Cache ``func(dataset, *args, **kwargs)`` on ``dataset`` (calls with unhashable arguments are not cached)."""

    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(dataset: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(dataset, *args, **kwargs)
        bound.apply_defaults()  # the same call however its arguments are spelled
        arguments = tuple((name, value) for name, value in bound.arguments.items() if value is not dataset)
        key = ("metric", func.__module__, func.__qualname__, _hashable(arguments))
        try:
            hash(key)
        except TypeError:  # e.g. a DataFrame passed as an argument
            return func(dataset, *args, **kwargs)
        return _fresh(dataset.cached(key, lambda: func(dataset, *args, **kwargs)))

    return cast(F, wrapper)  # functools.wraps keeps func's name and signature; mypy cannot see it
