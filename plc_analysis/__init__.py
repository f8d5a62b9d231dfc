"""PLC Workbook: analytics for Professional Learning Community teacher teams.

Load a district's assessment data (:func:`load_dataset`, :func:`load_sample`),
then ask the three PLC questions of it with pure functions that take a
:class:`Dataset` or tidy DataFrames and return tidy DataFrames.
"""

from .action_files import write_actions
from .action_review import VERDICTS, action_members, action_outcomes, action_results
from .actions import propose_actions, skill_why, teacher_strengths
from .bands import (
    BANDS,
    DEFAULT_BANDS,
    PRIORITIES,
    BandThresholds,
    assign_bands,
    band_counts,
    priority_counts,
    student_priority,
)
from .calibration import agreement, calibration_table, cohen_kappa, fleiss_kappa, icc
from .comparison import compare_teams, compare_to_team, item_success, peer_counts
from .conversion import convert_to_canonical
from .coverage_plots import plot_coverage
from .curriculum import coverage_gaps, coverage_matrix
from .dataset import Dataset
from .dataset_items import assessment_reliability, item_analysis, option_analysis, rater_calibration
from .edfi import load_edfi
from .equity import subgroup_gaps, suppress_small_cells
from .equity_plots import plot_subgroup_gaps
from .errors import PLCDataError, Problem
from .figure_output import ReportFigure, report_figure
from .goal_plots import plot_goal, plot_goals
from .goals import GOAL_STATUSES, goal_progress, goal_series
from .gradebooks import load_canvas_gradebook, load_classroom_gradebook
from .item_stats import distractor_analysis, item_statistics, reliability, reliability_summary
from .loading import load_dataset, load_roster, load_sample
from .partitioned import load_partitioned, write_partitioned
from .plots import plot_item_map, plot_mastery_heatmap, plot_proficiency, plot_teacher_comparison
from .proficiency import mastery_matrix, proficiency_by_skill, skill_evidence, student_skill_mastery
from .roster_match import join_roster
from .stats import cronbach_alpha_interval, proportion_difference_interval, wilson_interval
from .support import (
    enrichment_list,
    intervention_effectiveness,
    intervention_outcomes,
    students_needing_support,
    support_by_student,
    support_groups,
)
from .support_plots import plot_intervention_effectiveness, plot_support_groups, plot_tiers
from .tables import ReportTable
from .talking_points import talking_points
from .tier_policy import DEFAULT_POLICY, load_policy
from .tiers import support_tiers, tier_checks, tier_counts, tier_history
from .transitions import band_transitions, paired_bands, student_growth, transition_summary, window_standing
from .widgets import Explorer, explore

__all__ = [
    # data
    "Dataset",
    "PLCDataError",
    "Problem",
    "load_dataset",
    "load_sample",
    "load_roster",
    "load_canvas_gradebook",
    "load_classroom_gradebook",
    "join_roster",
    "load_edfi",
    "convert_to_canonical",
    "load_partitioned",
    "write_partitioned",
    # question 2: proficiency
    "skill_evidence",
    "student_skill_mastery",
    "proficiency_by_skill",
    "mastery_matrix",
    # a basis of comparison
    "compare_to_team",
    "compare_teams",
    "peer_counts",
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
    # question 3: time and support
    "BANDS",
    "DEFAULT_BANDS",
    "PRIORITIES",
    "BandThresholds",
    "assign_bands",
    "band_counts",
    "student_priority",
    "priority_counts",
    "teacher_strengths",
    "propose_actions",
    "skill_why",
    "write_actions",
    "VERDICTS",
    "window_standing",
    "paired_bands",
    "band_transitions",
    "transition_summary",
    "student_growth",
    "action_members",
    "action_outcomes",
    "action_results",
    "students_needing_support",
    "support_by_student",
    "support_groups",
    "enrichment_list",
    "intervention_outcomes",
    "intervention_effectiveness",
    "DEFAULT_POLICY",
    "load_policy",
    "tier_checks",
    "tier_history",
    "support_tiers",
    "tier_counts",
    # results: SMART goals
    "goal_series",
    "goal_progress",
    "GOAL_STATUSES",
    # equity and curriculum
    "suppress_small_cells",
    "subgroup_gaps",
    "coverage_matrix",
    "coverage_gaps",
    # plots and the coach explorer
    "plot_proficiency",
    "plot_teacher_comparison",
    "plot_item_map",
    "plot_mastery_heatmap",
    "plot_support_groups",
    "plot_tiers",
    "plot_intervention_effectiveness",
    "plot_goal",
    "plot_goals",
    "ReportFigure",
    "report_figure",
    "ReportTable",
    "plot_subgroup_gaps",
    "plot_coverage",
    "Explorer",
    "explore",
    # statistics helpers
    "wilson_interval",
    "proportion_difference_interval",
    "cronbach_alpha_interval",
]

#: The one home of the version: pyproject.toml reads it from here (``plc --version`` prints it).
__version__ = "0.1.0"
