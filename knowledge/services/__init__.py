"""Every write to the knowledge app goes through these functions: keyword-only,
atomic, policy-checked, audited."""

from knowledge.services.adr import (
    adr_accept,
    adr_create,
    adr_deprecate,
    adr_link_add,
    adr_link_remove,
    adr_reject,
    adr_supersede,
    adr_update,
)
from knowledge.services.adr_components import adr_component_link, adr_component_unlink
from knowledge.services.adr_import import AdrImportReport, adr_import, adr_import_directory
from knowledge.services.adr_proposals import adr_supersede_propose
from knowledge.services.onboarding import (
    enrolment_create,
    step_acknowledge,
    step_complete,
    step_confirm,
    track_create,
    track_step_create,
    track_step_delete,
    track_step_update,
)
from knowledge.services.raci import activity_create, assignment_set, role_create, role_update

__all__ = [
    "AdrImportReport",
    "activity_create",
    "adr_accept",
    "adr_component_link",
    "adr_component_unlink",
    "adr_create",
    "adr_deprecate",
    "adr_import",
    "adr_import_directory",
    "adr_link_add",
    "adr_link_remove",
    "adr_reject",
    "adr_supersede",
    "adr_supersede_propose",
    "adr_update",
    "assignment_set",
    "enrolment_create",
    "role_create",
    "role_update",
    "step_acknowledge",
    "step_complete",
    "step_confirm",
    "track_create",
    "track_step_create",
    "track_step_delete",
    "track_step_update",
]
