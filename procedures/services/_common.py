"""Helpers the procedure services share."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.errors import WorkflowError
from portal.roles import PortalRole
from procedures import workflow
from procedures.choices import VersionStatus
from procedures.models import SYSTEM_USERNAME, Procedure, ProcedureVersion


def lock_version(version: ProcedureVersion | int) -> ProcedureVersion:
    """The version row, locked until the transaction ends: concurrent workflow actions
    on one version run one after the other and each sees the other's result."""
    pk = version.pk if isinstance(version, ProcedureVersion) else version
    return (
        ProcedureVersion.objects.select_for_update(of=("self",))
        .select_related("procedure")
        .get(pk=pk)
    )


def lock_procedure(procedure: Procedure | int) -> Procedure:
    pk = procedure.pk if isinstance(procedure, Procedure) else procedure
    return Procedure.objects.select_for_update().get(pk=pk)


def expect(version: ProcedureVersion, action: str) -> None:
    if not workflow.allowed(action, version.status):
        raise WorkflowError(
            REFUSALS[action]
            % {"number": version.number, "status": VersionStatus(version.status).label},
            code="frozen" if action == "edit" else "invalid_state",
        )
    if version.procedure.is_withdrawn:
        raise WorkflowError(_("The procedure has been withdrawn."), code="withdrawn")


REFUSALS = {
    "edit": gettext_lazy("Version %(number)s is “%(status)s”: its text can no longer change."),
    "submit": gettext_lazy("Version %(number)s is “%(status)s”: it cannot be submitted."),
    "approve": gettext_lazy("Version %(number)s is “%(status)s”: it cannot be approved now."),
    "request_changes": gettext_lazy(
        "Version %(number)s is “%(status)s”: changes cannot be requested now."
    ),
    "reject": gettext_lazy("Version %(number)s is “%(status)s”: it cannot be rejected now."),
    "withdraw": gettext_lazy("Version %(number)s is “%(status)s”: it cannot be withdrawn."),
}


def version_snapshot(version: ProcedureVersion) -> dict:
    """What an audit event keeps of a version: enough to see what changed without
    copying a megabyte body into the log."""
    return {
        "number": version.number,
        "status": version.status,
        "title": version.title,
        "change_kind": version.change_kind,
        "change_summary": version.change_summary,
        "body_length": len(version.body),
        "revision": version.revision,
        "content_sha256": version.content_sha256,
        "effective_from": version.effective_from,
    }


def system_user():
    """The portal's own account, created on first use with the roles it acts in."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Portal", "last_name": "(system)", "is_active": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.set(
            [
                Group.objects.get_or_create(name=role)[0]
                for role in (PortalRole.EDITOR, PortalRole.APPROVER)
            ]
        )
    return user
