"""PLC Workbook: analytics for Professional Learning Community teacher teams.

Load a district's assessment data (:func:`load_dataset`, :func:`load_sample`),
then ask the three PLC questions of it with pure functions that take a
:class:`Dataset` or tidy DataFrames and return tidy DataFrames.
"""

from .dataset import Dataset
from .errors import PLCDataError, Problem
from .loading import load_dataset, load_sample

__all__ = [
    "Dataset",
    "PLCDataError",
    "Problem",
    "load_dataset",
    "load_sample",
]

__version__ = "0.1.0"
