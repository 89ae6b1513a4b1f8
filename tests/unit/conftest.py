"""Fixtures for unit tests."""

from __future__ import annotations

import pytest

from workflow.states.rules import load_rules


@pytest.fixture(scope="session")
def cohort9_rules():
    return load_rules("cohort-9")
