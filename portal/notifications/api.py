"""Notifications in the API: one's own list, marking read and e-mail preferences;
for admins, webhooks with a test message and their last deliveries."""

from __future__ import annotations

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.schema import document
from portal.notifications import services
from portal.notifications.models import (
    Notification,
    NotificationPreference,
    Webhook,
    WebhookDelivery,
)
from portal.registry import registry

LAST_DELIVERIES = 20


class NotificationSerializer(serializers.ModelSerializer):
    text = serializers.CharField(read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "url", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        max_length=1000,
        help_text="Notifications to mark read; leave out to mark all of yours read.",
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class PreferenceSerializer(serializers.Serializer):
    email_kinds = serializers.ListField(
        child=serializers.CharField(max_length=40),
        max_length=100,
        help_text="Kinds of notification also sent by e-mail; the others only show under the bell.",
    )
    kinds = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="Every kind, with its label."
    )


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "kind",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


class WebhookSerializer(serializers.ModelSerializer):
    kinds = serializers.ListField(child=serializers.CharField(max_length=40), max_length=100)
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="16 to 200 characters; leave out to have one made up (new webhook) "
        "or to keep the current one.",
    )
    secret_hint = serializers.CharField(read_only=True)

    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "kinds", "active", "secret", "secret_hint", "created_at"]
        read_only_fields = ["id", "secret_hint", "created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    new_secret = serializers.CharField(
        read_only=True, help_text="The signing secret, shown in this answer only."
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "new_secret"]


class WebhookDetailSerializer(WebhookSerializer):
    deliveries = DeliverySerializer(source="last_deliveries", many=True, read_only=True)

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "deliveries"]


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    read_action = "notification.read"
    write_action = "notification.read"
    filterset_fields = {"read_at": ["isnull"], "kind": ["exact"]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built without a user
            return Notification.objects.none()
        return Notification.objects.for_user(self.request.user).order_by("-created_at", "-id")

    @action(detail=False, methods=["post"], serializer_class=MarkReadSerializer)
    def read(self, request):
        payload = MarkReadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        marked = services.notifications_mark_read(
            user=request.user, ids=payload.validated_data.get("ids")
        )
        return Response({"marked": marked})


class NotificationPreferencesView(APIView):
    read_action = "notification.read"
    write_action = "notification.read"
    serializer_class = PreferenceSerializer

    def _answer(self, user):
        off = set(
            NotificationPreference.objects.filter(user=user, email=False).values_list(
                "kind", flat=True
            )
        )
        kinds = {kind: str(label) for kind, label in registry.notification_kinds.items()}
        return Response({"email_kinds": [k for k in kinds if k not in off], "kinds": kinds})

    def get(self, request):
        return self._answer(request.user)

    def put(self, request):
        payload = PreferenceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.notification_preferences_set(
            user=request.user, email_kinds=payload.validated_data["email_kinds"]
        )
        return self._answer(request.user)


class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    read_action = "webhook.manage"
    write_action = "webhook.manage"
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self):
        return Webhook.objects.order_by("name", "id")

    def get_serializer_class(self):
        return WebhookDetailSerializer if self.action == "retrieve" else WebhookSerializer

    def get_object(self):
        hook = super().get_object()
        if self.action == "retrieve":
            hook.last_deliveries = list(
                hook.deliveries.order_by("-created_at", "-id")[:LAST_DELIVERIES]
            )
        return hook

    def create(self, request):
        payload = WebhookSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        hook, secret = services.webhook_create(
            actor=request.user,
            name=data["name"],
            url=data["url"],
            kinds=data["kinds"],
            secret=data.get("secret", ""),
        )
        hook.new_secret = secret
        return Response(WebhookCreatedSerializer(hook).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        hook = self.get_object()
        payload = WebhookSerializer(hook, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        hook = services.webhook_update(
            actor=request.user,
            webhook=hook,
            name=data.get("name", hook.name),
            url=data.get("url", hook.url),
            kinds=data.get("kinds", hook.kinds),
            active=data.get("active", hook.active),
            secret=data.get("secret", ""),
        )
        return Response(WebhookSerializer(hook).data)

    def perform_destroy(self, instance):
        services.webhook_delete(actor=self.request.user, webhook=instance)

    @action(detail=True, methods=["post"], serializer_class=DeliverySerializer)
    def test(self, request, pk=None):
        delivery = services.webhook_test_send(actor=request.user, webhook=self.get_object())
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["get"], serializer_class=DeliverySerializer)
    def deliveries(self, request, pk=None):
        hook = self.get_object()
        page = self.paginate_queryset(hook.deliveries.order_by("-created_at", "-id"))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


document(
    NotificationViewSet,
    {
        "list": (
            "List my notifications",
            "Your own notifications, newest first; ``read_at__isnull=true`` lists the unread.",
        ),
        "read": (
            "Mark my notifications read",
            "Marks the given ``ids`` of yours read, or all of yours when ``ids`` is left out; "
            "answers how many changed.",
        ),
    },
)
document(
    NotificationPreferencesView,
    {
        "get": (
            "Get my notification preferences",
            "Which kinds also come by e-mail (the others only under the bell), and every "
            "kind with its label.",
        ),
        "put": (
            "Set my notification preferences",
            "Send the full list of kinds you want by e-mail as well.",
        ),
    },
)
document(
    WebhookViewSet,
    {
        "list": ("List webhooks", "Administrators: every outgoing webhook, without secrets."),
        "retrieve": (
            "Get a webhook with its last deliveries",
            f"Administrators: one webhook and its last {LAST_DELIVERIES} deliveries "
            "with their status, attempts and last HTTP status.",
        ),
        "create": (
            "Add a webhook",
            "Administrators add a signed JSON POST for the chosen kinds (Mattermost, Slack "
            "or any receiver). The signing secret is in this answer only.",
        ),
        "partial_update": (
            "Change a webhook",
            "Administrators change name, URL, kinds, active or the secret.",
        ),
        "destroy": ("Remove a webhook", "Administrators remove a webhook and its deliveries."),
        "test": (
            "Send a test message",
            "Administrators queue a signed test message; its delivery shows with the others.",
        ),
        "deliveries": (
            "List a webhook's deliveries",
            "Administrators: every delivery of the webhook, newest first, with its status.",
        ),
    },
)
