"""Admin for boards: read-only. A board's content and date follow the appointments by themselves
(boards.services.boards_refresh on every view); here one can only look, or delete a row to reset it."""

from django.contrib import admin

from boards.models import Board


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["__str__", "generated_at", "fingerprint"]
    list_select_related = ["building__estate", "estate"]
    search_fields = ["building__name", "building__estate__name", "estate__name"]
    readonly_fields = ["building", "estate", "fingerprint", "generated_at", "pdf_key"]
    exclude = ["pdf"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
