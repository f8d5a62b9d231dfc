"""PLC Workbook: analytics for Professional Learning Community teacher teams.

Load a district's assessment data (:func:`load_dataset`, :func:`load_sample`),
then ask the three PLC questions of it with pure functions that take a
:class:`Dataset` or tidy DataFrames and return tidy DataFrames.
"""

from .calibration import agreement, calibration_table, cohen_kappa, fleiss_kappa, icc
from .comparison import compare_teams, compare_to_team, item_success
from .dataset import Dataset
from .errors import PLCDataError, Problem
from .item_analysis import assessment_reliability, item_analysis, option_analysis, rater_calibration
from .items import distractor_analysis, item_statistics, reliability, reliability_summary
from .loading import load_dataset, load_sample
from .proficiency import mastery_matrix, proficiency_by_skill, skill_evidence, student_skill_mastery
from .stats import cronbach_alpha_interval, proportion_difference_interval, wilson_interval
from .talking_points import talking_points

__all__ = [
    # data
    "Dataset",
    "PLCDataError",
    "Problem",
    "load_dataset",
    "load_sample",
    # question 2: proficiency
    "skill_evidence",
    "student_skill_mastery",
    "proficiency_by_skill",
    "mastery_matrix",
    # a basis of comparison
    "compare_to_team",
    "compare_teams",
    "item_success",
    "talking_points",
    # items and reliability
    "item_statistics",
    "reliability",
    "reliability_summary",
    "distractor_analysis",
    "item_analysis",
    "option_analysis",
    "assessment_reliability",
    # rubric calibration
    "agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "icc",
    "calibration_table",
    "rater_calibration",
    # statistics helpers
    "wilson_interval",
    "proportion_difference_interval",
    "cronbach_alpha_interval",
]

__version__ = "0.1.0"
