"""Fixtures of the out-of-core tests: the sample district as a flat and as a school-partitioned folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def sample_partitioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample district written partitioned by school (Parquet), once per session."""
    from plc_analysis import load_sample, write_partitioned

    return write_partitioned(load_sample(), tmp_path_factory.mktemp("partitioned") / "district")
