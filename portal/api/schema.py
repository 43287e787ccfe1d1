"""The OpenAPI contract: every operation declares the error answers it can give, all
in the one error shape that ``portal.api.exceptions`` and ``portal.validation`` write.

A drf-spectacular postprocessing hook, so that no view has to list them and none can
forget: each operation gets 400 (input refused, by its serializer or by the
validation layer before it), 401 and 403 (not signed in; not allowed), 404 (no such
object, or a page past the last), 409 for writes (the object's state or a concurrent change),
413 where it takes a body, and 429 (throttled).
"""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error the API answers has this shape.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in words for people."},
        "code": {"type": "string", "description": "A stable code for scripts."},
        "errors": {
            "type": "object",
            "description": "Per field (or non_field_errors), what is wrong with it.",
            "additionalProperties": {},
        },
    },
    "required": ["detail", "code"],
}

ERROR_DESCRIPTIONS = {
    "400": "The input was refused (a field, a query parameter, a NUL byte, JSON nested too deep).",
    "401": "Not signed in, or the token is unknown, expired or revoked.",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object, or no such page of a list.",
    "409": "Not possible in the object's current state, or somebody changed it first.",
    "413": "The request or one of its files is larger than the portal accepts.",
    "429": "Too many requests; try again later.",
}
_UNSAFE = {"post", "put", "patch", "delete"}


def _error_response(code: str) -> dict:
    return {
        "description": ERROR_DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_LINKS: list[tuple[str, str, str, dict]] = []


def link(source: str, status: str, name: str, target: str, **spec) -> None:
    """Declare an OpenAPI link: the ``status`` answer of operation ``source`` feeds
    operation ``target`` (``parameters``, ``requestBody`` as runtime expressions),
    so that clients and generated tests can follow create → act chains."""
    _LINKS.append((source, status, name, {"operationId": target, **spec}))


def _add_links(result) -> None:
    responses = {
        operation["operationId"]: operation.get("responses", {})
        for operations in result.get("paths", {}).values()
        for operation in operations.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for source, status, name, spec in _LINKS:
        if source not in responses:
            continue  # a schema of part of the API (an app's own, in its tests)
        if spec["operationId"] not in responses:
            raise LookupError(f"OpenAPI link {name!r} from {source}: unknown target operation")
        responses[source].setdefault(status, {"description": ""}).setdefault("links", {})[name] = (
            spec
        )


def declare_error_responses(result, generator, request, public):
    _add_links(result)
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "head", "options", *_UNSAFE}:
                continue
            # 404 everywhere: an object in the path, or a page past the last one.
            codes = ["400", "401", "403", "404", "429"]
            if method in _UNSAFE:
                codes.append("409")
            if "requestBody" in operation or method in {"post", "put", "patch"}:
                codes.append("413")
            responses = operation.setdefault("responses", {})
            for code in codes:
                existing = responses.get(code)
                if existing is None or not existing.get("content"):
                    responses[code] = _error_response(code)
                    continue
                # An operation's own answer for this code (the import's report) is
                # one possibility; the error shape, from the layers before it, the other.
                for media in existing["content"].values():
                    schema = media.get("schema", {})
                    if schema != {"$ref": "#/components/schemas/Error"}:
                        media["schema"] = {
                            "oneOf": [schema, {"$ref": "#/components/schemas/Error"}]
                        }
    return result


def document(viewset, operations: dict[str, tuple[str, str]]):
    """Give each action of ``viewset`` the summary and description its users read
    in the API docs: ``{"list": ("List X", "What it returns and who may call it")}``."""
    from drf_spectacular.utils import extend_schema, extend_schema_view

    return extend_schema_view(
        **{
            action: extend_schema(summary=summary, description=description)
            for action, (summary, description) in operations.items()
        }
    )(viewset)
