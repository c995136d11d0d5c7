from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from volunteers.models import Team


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ["name", "community", "member_count", "active"]
    list_filter = ["community", "active"]
    search_fields = ["name", "description"]
    filter_horizontal = ["members"]
    raw_id_fields = ["community"]
    list_select_related = ["community"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count
