"""API errors as one shape: {"detail": ..., "code": ..., "errors": {...}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portal.denials import record_denial
from portal.errors import WorkflowError


def portal_exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(
            {
                "detail": "; ".join(m for ms in errors.values() for m in ms),
                "code": "invalid",
                "errors": errors,
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, WorkflowError):  # ConflictError included
        return Response({"detail": str(exc), "code": exc.code}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, exceptions.PermissionDenied) and request is not None:
        record_denial(request, getattr(exc, "detail", ""))
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data:
        data = {"detail": str(data["detail"]), "code": getattr(data["detail"], "code", "error")}
    else:
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        data = {"detail": "Invalid input.", "code": "invalid", "errors": errors}
    response.data = data
    return response
