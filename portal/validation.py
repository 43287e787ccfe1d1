"""The one place where input that no view can use is refused, before any view runs.

PostgreSQL refuses NUL in text, so a NUL byte that reaches a query is a server
error wherever it comes from; and a JSON body nested deeper than Python's recursion
limit makes the parser itself fail. Rather than a check in every view, this layer
looks at the parts of a request that every view shares: the path, the query string,
form fields and JSON bodies. The API answers in its one error shape
(``{"detail", "code", "errors"}``), the pages with the styled error page.

What a request carries inside a field (a file's content, a text a service stores) is
checked by the parsers and services with the helpers here: :func:`has_nul`,
:func:`nul_line`, :func:`refuse_nul`, :func:`size_message` and :func:`check_size`,
so that every NUL and every size limit is found and told the same way.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal.uploads import UploadTooLarge, request_limit_message

# Deeper than any body the API documents (the deepest is an object of lists of
# objects); far below the interpreter's recursion limit.
MAX_JSON_DEPTH = 32

# A NUL written as a JSON escape, not preceded by an escaped backslash.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_JSON_CONTAINERS = re.compile(rb'[\[\]{}"\\]')


def has_nul(value: str | bytes) -> bool:
    """Whether a text or a file's bytes hold a NUL, which PostgreSQL refuses in text
    and no text file contains."""
    return ("\x00" if isinstance(value, str) else b"\x00") in value


def nul_line(value: str | bytes) -> int | None:
    """The line (from 1) of the first NUL, for an error that points at it; None
    when there is none."""
    if not has_nul(value):
        return None
    if isinstance(value, str):
        return value[: value.index("\x00")].count("\n") + 1
    return value[: value.index(b"\x00")].count(b"\n") + 1


def nul_message(*, file: bool = False) -> str:
    return _("The file contains a NUL byte.") if file else _("The text contains a NUL byte.")


def refuse_nul(value: str | bytes, field: str | None = None) -> None:
    """Raise ValidationError (under ``field`` when given) for a value with a NUL;
    usable as a form field's or a model field's validator."""
    if has_nul(value):
        _refuse(nul_message(file=isinstance(value, bytes)), "nul", field)


def size_message(size: int, limit: int, *, file: bool = False) -> str | None:
    """What to tell about ``size`` bytes past ``limit``; None when within it."""
    if size <= limit:
        return None
    if file:
        text = _("The file is %(size)s bytes; the limit is %(limit)s bytes.")
    else:
        text = _("The text is %(size)s bytes; the limit is %(limit)s bytes.")
    return text % {"size": size, "limit": limit}


def check_size(value: str | bytes, limit: int, field: str | None = None) -> None:
    """Raise ValidationError for a value over ``limit`` bytes (a text counts in UTF-8)."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    message = size_message(len(data), limit, file=isinstance(value, bytes))
    if message is not None:
        _refuse(message, "too_large", field)


def _refuse(message: str, code: str, field: str | None) -> None:
    error = ValidationError(message, code=code)
    raise ValidationError({field: [error]}) if field else error


class InputRefused(Exception):
    """Input refused before it reached a view."""

    def __init__(self, message: str, field: str = "non_field_errors"):
        super().__init__(message)
        self.field = field


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` opens more than ``limit`` nested arrays or objects, counted
    without parsing it (the parser is what would fail), skipping string contents."""
    depth = 0
    in_string = False
    skip_until = 0  # the byte after a backslash is escaped, whatever it is
    for match in _JSON_CONTAINERS.finditer(body):
        at = match.start()
        if at < skip_until:
            continue
        char = match.group()
        if in_string:
            if char == b"\\":
                skip_until = at + 2
            elif char == b'"':
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


def _check_text(value: str, field: str) -> None:
    if has_nul(value):
        raise InputRefused(nul_message(), field)


def check_request(request) -> None:
    """Raise InputRefused for input that no view can use, UploadTooLarge for a body
    over the limits (before reading it where its length is announced)."""
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > settings.UPLOAD_MAX_REQUEST_BYTES:
        raise UploadTooLarge(request_limit_message(), "non_field_errors")
    _check_text(request.path_info, "path")
    for key, values in request.GET.lists():
        _check_text(key, key)
        for value in values:
            _check_text(value, key)
    content_type = request.content_type or ""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            body = request.body
        except RequestDataTooBig as exc:
            raise UploadTooLarge(request_limit_message(), "non_field_errors") from exc
        if has_nul(body) or _JSON_NUL.search(body):
            raise InputRefused(nul_message())
        if json_depth_exceeds(body):
            raise InputRefused(
                _("The JSON body is nested deeper than %(limit)s levels.")
                % {"limit": MAX_JSON_DEPTH}
            )
    elif content_type == "multipart/form-data" or (
        is_api(request) and content_type == "application/x-www-form-urlencoded"
    ):
        # Read here, so that the upload limits answer with a 413 whichever view is
        # next. Pages leave form fields to their forms, which refuse a NUL next to
        # the field and keep what the person typed; the API answers in its one shape.
        try:
            fields, files = request.POST, request.FILES
        except MultiPartParserError as exc:
            raise InputRefused(_("The form data could not be read.")) from exc
        except RequestDataTooBig as exc:
            raise UploadTooLarge(request_limit_message(), "non_field_errors") from exc
        except TooManyFieldsSent as exc:
            raise InputRefused(_("The form has too many fields.")) from exc
        if not is_api(request):
            return
        for key, values in fields.lists():
            _check_text(key, key)
            for value in values:
                _check_text(value, key)
        for upload in files.values():
            _check_text(upload.name or "", "file")


def is_api(request) -> bool:
    return request.path_info.startswith(("/api/", "/metrics"))


def wants_json(request) -> bool:
    """Answer in the API's error shape: under /api/, and for a client that prefers JSON
    to a page wherever it asks (the fields' suggestion lookups)."""
    if is_api(request):
        return True
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def refusal_response(request, message: str, field: str = "non_field_errors", status: int = 400):
    if wants_json(request):
        return JsonResponse(
            {"detail": message, "code": "invalid", "errors": {field: [message]}}, status=status
        )
    return render(
        request,
        "portal/bad_request.html",
        {"message": message},
        status=status,
    )


class InputValidationMiddleware:
    """Refuse what :func:`check_request` refuses, with a 400 and its reason."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            check_request(request)
        except InputRefused as exc:
            return refusal_response(request, str(exc), exc.field)
        except UploadTooLarge as exc:
            return refusal_response(request, str(exc), exc.field, status=413)
        return self.get_response(request)


__all__ = [
    "MAX_JSON_DEPTH",
    "InputRefused",
    "InputValidationMiddleware",
    "check_request",
    "check_size",
    "has_nul",
    "json_depth_exceeds",
    "nul_line",
    "nul_message",
    "refusal_response",
    "refuse_nul",
    "size_message",
    "wants_json",
]
