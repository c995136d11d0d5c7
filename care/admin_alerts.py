"""Admin for welfare alerts (imported by care/admin.py). Read-mostly: raising, the checklist and closing
go through care.services_alerts (who is told, timing, notices); a superuser may fix a text here."""

from django.contrib import admin

from care.models import AlertEntry, WelfareAlert


class AlertEntryInline(admin.TabularInline):
    model = AlertEntry
    fields = ["at", "step", "note", "by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WelfareAlert)
class WelfareAlertAdmin(admin.ModelAdmin):
    list_display = [
        "raised_at",
        "reason",
        "household",
        "community",
        "first_response_at",
        "closed_at",
        "outcome",
    ]
    list_filter = ["reason", "outcome", "community"]
    date_hierarchy = "raised_at"
    readonly_fields = [
        "household",
        "resident",
        "community",
        "reason",
        "raised_by",
        "raiser_name",
        "raiser_phone",
        "responders",
        "raised_at",
        "first_response_at",
        "first_responder",
        "closed_at",
        "closed_by",
        "outcome",
    ]
    list_select_related = ["household__entrance__building__estate", "community"]
    inlines = [AlertEntryInline]

    def has_add_permission(self, request):
        return False
