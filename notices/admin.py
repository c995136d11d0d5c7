from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from notices.models import Notification, OutboundChannel, OutboundMessage
from notices.services import outbound_channel_save, outbound_target_clean


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: the inbox is written by the services and read by its owner."""

    list_display = ["user", "message", "request", "created_at", "read_at"]
    list_filter = [("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["message", "user__username", "user__full_name"]
    raw_id_fields = ["user", "request"]
    list_select_related = ["user", "request__kind"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OutboundChannelAdminForm(forms.ModelForm):
    class Meta:
        model = OutboundChannel
        fields = ["community", "kind", "name", "target", "secret", "active"]
        widgets = {"secret": forms.PasswordInput(render_value=True)}

    def clean(self):
        # The same checks as the channels page: valid email addresses, an http(s) webhook URL.
        data = super().clean()
        if data.get("kind") and data.get("target"):
            try:
                data["target"] = outbound_target_clean(data["kind"], data["target"])
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


@admin.register(OutboundChannel)
class OutboundChannelAdmin(admin.ModelAdmin):
    """Staff normally use the channels page; the admin is for support."""

    form = OutboundChannelAdminForm

    list_display = ["name", "community", "kind", "active", "created_at"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "community__name"]
    raw_id_fields = ["community"]
    list_select_related = ["community"]

    def save_model(self, request, obj, form, change):
        # Through the service: switching a channel off fails its waiting messages.
        outbound_channel_save(actor=None, channel=obj)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by the services and emptied by the periodic job."""

    list_display = ["title", "channel", "status", "attempts", "created_at", "sent_at", "last_error"]
    list_filter = ["status", "channel__kind"]
    search_fields = ["title", "key", "channel__name"]
    raw_id_fields = ["channel"]
    list_select_related = ["channel"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
