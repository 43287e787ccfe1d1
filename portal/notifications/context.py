from functools import cached_property

from portal.notifications.models import Notification


class UnreadNotifications:
    """Counted on first use only: pages without the bell (partials, API) pay nothing,
    pages with it pay one query."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        return Notification.objects.for_user(self.user).unread().count()


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": UnreadNotifications(user)}
