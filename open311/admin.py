from django.contrib import admin

from open311.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Read-only here: keys are issued on the keys page or with `manage.py open311_key`, so that the
    plain key is shown once and only its hash is stored."""

    list_display = ["name", "prefix", "street", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["street", "revoked_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = [
        "name",
        "street",
        "prefix",
        "created_by",
        "created_at",
        "revoked_at",
        "revoked_by",
        "last_used_at",
    ]
    exclude = ["key_hash"]

    def has_add_permission(self, request):
        return False
