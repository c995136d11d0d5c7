"""Admin for care plans, their contacts and the cadence rules. Plans are kept in step with the registry
by care.services (care_plans_sync) and their due dates by care_contact_log, so the admin shows them and
lets a superuser fix the carer or the end, never the computed dates."""

import contextlib

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from care.models import CadenceRule, CareContact, CarePlan


@admin.register(CadenceRule)
class CadenceRuleAdmin(SimpleHistoryAdmin):
    list_display = [
        "community",
        "special_group",
        "cared_for",
        "greeting_days",
        "visit_days",
        "group_after_days",
        "area_after_days",
    ]
    list_filter = ["special_group", "cared_for"]
    search_fields = ["community__name"]
    raw_id_fields = ["community"]
    list_select_related = ["community"]


class CareContactInline(admin.TabularInline):
    model = CareContact
    fields = ["contacted_at", "kind", "wellbeing", "by", "note", "request"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by", "request")


@admin.register(CarePlan)
class CarePlanAdmin(SimpleHistoryAdmin):
    list_display = ["resident", "community", "cell", "carer", "carer_pinned", "due_on", "ended_on"]
    list_filter = ["carer_pinned", "end_reason"]
    search_fields = ["resident__name", "community__name", "carer__full_name", "carer__username"]
    raw_id_fields = ["resident", "community", "cell", "carer"]
    list_select_related = ["resident", "community", "cell", "carer"]
    readonly_fields = [
        "resident",
        "community",
        "cell",
        "groups",
        "greeting_days",
        "visit_days",
        "group_after_days",
        "area_after_days",
        "started_on",
        "last_greeting_on",
        "last_visit_on",
        "greeting_due_on",
        "visit_due_on",
        "due_on",
    ]
    inlines = [CareContactInline]

    def has_add_permission(self, request):
        return False  # plans are started by care_plans_sync from the registry


@admin.register(CareContact)
class CareContactAdmin(admin.ModelAdmin):
    list_display = ["plan", "kind", "wellbeing", "by", "contacted_at"]
    list_filter = ["kind", "wellbeing"]
    search_fields = ["plan__resident__name", "note"]
    raw_id_fields = ["plan", "request", "by"]
    list_select_related = ["plan__resident", "by"]
    date_hierarchy = "contacted_at"


# Welfare alerts and distributions have admin modules of their own.
with contextlib.suppress(ImportError):
    import care.admin_alerts  # noqa: F401
with contextlib.suppress(ImportError):
    import care.admin_distributions  # noqa: F401
