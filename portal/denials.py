"""Permission denials are audited outside the service's transaction (which rolled
back), so that the record of a refused attempt survives."""

from portal.audit import audit_record


def record_denial(request, reason: str = "") -> None:
    user = getattr(request, "user", None)
    audit_record(
        actor=user,
        verb="permission.denied",
        object_repr=f"{request.method} {request.path}"[:300],
        after={"reason": str(reason)[:500]},
    )
