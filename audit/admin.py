"""The access log is evidence: it can be read and filtered, never added to, changed or deleted here."""

from django.contrib import admin

from audit.models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "action", "resident", "ip_address"]
    list_filter = ["action", "created_at"]
    search_fields = ["user__username", "user__full_name", "resident__name"]
    list_select_related = ["user", "resident"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "user", "action", "resident", "detail", "ip_address"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
