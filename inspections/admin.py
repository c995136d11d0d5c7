"""Admin for the checklist and the rounds. Rounds are recorded through inspections.services (which files
the hazard requests), so the admin shows them and lets a superuser fix a note, never add one."""

from django.contrib import admin

from inspections.models import ChecklistItem, Finding, Inspection


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["text", "community", "sort_order", "active"]
    list_filter = ["active", "community"]
    search_fields = ["text"]
    raw_id_fields = ["community"]
    list_select_related = ["community"]


class FindingInline(admin.TabularInline):
    model = Finding
    fields = ["item_text", "is_hazard", "building", "note", "request"]
    readonly_fields = ["item_text", "is_hazard", "building", "request"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("building__estate", "request__kind")


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "community", "inspector", "done_at", "hazard_count"]
    list_filter = ["community"]
    date_hierarchy = "done_at"
    search_fields = ["unit__name", "note"]
    readonly_fields = ["unit", "unit_path", "community", "inspector", "done_at", "hazard_count"]
    list_select_related = ["unit", "community", "inspector"]
    inlines = [FindingInline]

    def has_add_permission(self, request):
        return False


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["item_text", "inspection", "is_hazard", "building", "request"]
    list_filter = ["is_hazard"]
    search_fields = ["item_text", "note"]
    readonly_fields = ["inspection", "item", "item_text", "is_hazard", "building", "request"]
    list_select_related = ["inspection__unit", "building__estate", "request__kind"]

    def has_add_permission(self, request):
        return False
