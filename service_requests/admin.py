"""Admin for the catalogue and for requests. Requests are read-mostly here: every change of a request's
state goes through service_requests.services (deadlines, the timeline, notifications), so the admin
shows them and lets a superuser fix a text field, never move one through the lifecycle."""

import re

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from service_requests.models import Request, RequestEvent, RequestPhoto, ResponseTemplate, ServiceKind


@admin.register(ServiceKind)
class ServiceKindAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "street",
        "grade",
        "response_hours",
        "resolution_hours",
        "first_level",
        "on_public_menu",
        "is_menu_service",
        "dispatch_team",
        "active",
    ]
    list_filter = ["street", "grade", "first_level", "on_public_menu", "is_menu_service", "active"]
    search_fields = ["name", "code"]
    raw_id_fields = ["street", "dispatch_team"]
    list_select_related = ["street", "dispatch_team"]


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    fields = ["created_at", "kind", "actor", "from_unit", "to_unit", "message", "public"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "from_unit", "to_unit")


_REFERENCE = re.compile(r"^\s*#?(?:\d{8}-)?(\d+)\s*$")


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ["reference_display", "kind", "status", "holder", "community", "channel", "created_at"]
    list_filter = ["status", "channel", "solved_on_spot", "kind__street", "kind__grade"]
    search_fields = ["description", "address_text"]
    date_hierarchy = "created_at"
    list_select_related = ["kind", "holder", "community"]
    raw_id_fields = [
        "kind",
        "street",
        "community",
        "cell",
        "building",
        "household",
        "reporter_user",
        "first_owner",
        "holder",
        "assignee_team",
        "assignee",
        "merged_into",
    ]
    # The lifecycle belongs to the services: state, place, people and clocks are shown, not edited.
    readonly_fields = [
        "public_token",
        "kind",
        "channel",
        "street",
        "community",
        "cell",
        "building",
        "household",
        "reporter_user",
        "first_owner",
        "holder",
        "assignee_team",
        "assignee",
        "status",
        "created_at",
        "response_due_at",
        "resolution_due_at",
        "level_since",
        "level_response_due_at",
        "level_resolution_due_at",
        "responded_at",
        "resolved_at",
        "closed_at",
        "close_reason",
        "solved_on_spot",
        "merged_into",
        "rating",
        "rating_comment",
        "rated_at",
        "times_reopened",
    ]
    inlines = [RequestEventInline]

    @admin.display(description=_("reference"), ordering="created_at")
    def reference_display(self, obj):
        return obj.reference

    def has_add_permission(self, request):
        return False  # filed through the pages, the API or Open311, so that deadlines and owner are set

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        """A reference as printed (20260302-123, #123 or 123) finds that request; other text searches
        the description and address."""
        match = _REFERENCE.match(search_term or "")
        if match:
            return queryset.filter(pk=int(match.group(1))), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(RequestEvent)
class RequestEventAdmin(admin.ModelAdmin):
    """The timeline, read-only: events are written by the services and never edited."""

    list_display = ["request", "kind", "actor", "from_unit", "to_unit", "public", "created_at"]
    list_filter = ["kind", "public"]
    search_fields = ["message"]
    raw_id_fields = ["request", "actor", "from_unit", "to_unit"]
    list_select_related = ["request__kind", "actor", "from_unit", "to_unit"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RequestPhoto)
class RequestPhotoAdmin(admin.ModelAdmin):
    list_display = ["image", "request", "event", "extension", "created_at"]
    raw_id_fields = ["request", "event"]
    list_select_related = ["request__kind", "event"]
    search_fields = ["image"]
    readonly_fields = ["extension", "created_at"]


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "street"]
    list_filter = ["street"]
    search_fields = ["title", "text"]
    raw_id_fields = ["street"]
    list_select_related = ["street"]
