"""Every write to procedures goes through these functions: keyword-only, atomic,
policy-checked, audited."""

from procedures.services._common import system_user
from procedures.services.docs_import import (
    ImportOutcome,
    procedure_import_document,
    procedures_import_directory,
)
from procedures.services.procedure import (
    procedure_acknowledge,
    procedure_create,
    procedure_update,
    procedure_withdraw,
)
from procedures.services.version import (
    approvals_of,
    next_number,
    version_approve,
    version_create,
    version_reject,
    version_request_changes,
    version_submit,
    version_update,
    version_withdraw,
)

__all__ = [
    "ImportOutcome",
    "approvals_of",
    "next_number",
    "procedure_acknowledge",
    "procedure_create",
    "procedure_import_document",
    "procedure_update",
    "procedure_withdraw",
    "procedures_import_directory",
    "system_user",
    "version_approve",
    "version_create",
    "version_reject",
    "version_request_changes",
    "version_submit",
    "version_update",
    "version_withdraw",
]
