"""Fixtures for inventory tests.

``k8s_stand_in``: a running Kubernetes API stand-in (real HTTP) with ``.kubeconfig``
written; see tests/stand_ins/kubernetes.py.
"""

import pytest
from django.core.cache import cache

from tests.stand_ins.kubernetes import k8s_stand_in  # noqa: F401 - registers the fixture


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Figures and finding counts are cached per sync run; ids repeat across tests
    on SQLite, so every test starts with an empty cache, and a new run is seen at
    once (in production a value lives at least INVENTORY_FIGURES_MIN_SECONDS)."""
    settings.INVENTORY_FIGURES_MIN_SECONDS = 0
    cache.clear()
    yield
    cache.clear()
