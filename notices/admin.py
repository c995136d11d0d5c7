from django.contrib import admin

from notices.models import Notification


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
