"""Fixtures for inventory tests.

``k8s_stand_in``: a running Kubernetes API stand-in (real HTTP) with ``.kubeconfig``
written; see tests/stand_ins/kubernetes.py.
"""

from tests.stand_ins.kubernetes import k8s_stand_in  # noqa: F401 - registers the fixture
