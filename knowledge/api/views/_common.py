"""What the knowledge API's viewsets share."""

from __future__ import annotations


class PolicyActionsMixin:
    # Which policy action a write needs, per viewset action; the services check the
    # same action (and the object rules) again. A comment, so the API docs skip it.

    write_actions: dict[str, str] = {}

    @property
    def write_action(self) -> str:
        return self.write_actions.get(getattr(self, "action", ""), "portal.write")
