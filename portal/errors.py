"""Errors the services raise; pages and the API turn them into 409s with the message."""


class WorkflowError(Exception):
    """The action does not fit the object's current state."""

    code = "invalid_state"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code


class ConflictError(WorkflowError):
    """Somebody else changed the object first (optimistic locking)."""

    code = "conflict"
