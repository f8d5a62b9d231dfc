"""District-wide work out of core: a big district's scores stay on disk and DuckDB aggregates them.

:func:`open_district` validates the small tables in pandas and exposes the
scores as SQL views over their files; the modules of this package compute the
district-wide tables (validation of the scores, the mastery of every student,
the overview aggregates, the pooled team-to-team counts, every team's extract)
as SQL in bounded memory.  Each statistic has one definition: the counts come
from SQL, and what is derived from them (shares, intervals, suppression,
ordering) is the pandas path's own code; tests prove both engines agree.
"""

from .district import DEFAULT_MEMORY_LIMIT, District, open_district
from .district_tables import proficiency_tables, write_tables
from .equity_sql import district_subgroup_gaps
from .extracts import EXTRACTS_COLUMNS, cut_team_extracts
from .files import LARGE_TABLES, TableFile, table_files
from .partition_run import CombinedTables, partitioned_overview, partitioned_proficiency_by_skill
from .peers_sql import district_compare_counts, district_peer_counts
from .proficiency_sql import district_proficiency_by_skill
from .schools import each_school, school_dataset

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "District",
    "open_district",
    "LARGE_TABLES",
    "TableFile",
    "table_files",
    "each_school",
    "school_dataset",
    "CombinedTables",
    "partitioned_overview",
    "partitioned_proficiency_by_skill",
    "proficiency_tables",
    "write_tables",
    "cut_team_extracts",
    "EXTRACTS_COLUMNS",
    "district_proficiency_by_skill",
    "district_subgroup_gaps",
    "district_peer_counts",
    "district_compare_counts",
]
