"""Admin for campaigns and their households. A campaign is started from the campaign pages, where its
target households are drawn (campaigns.services.campaign_create); here it is read and its text fixed.
Marks are made by leaders on the marking page; the admin shows them and their history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from campaigns.models import Campaign, CampaignTarget


@admin.register(Campaign)
class CampaignAdmin(SimpleHistoryAdmin):
    list_display = ["title", "topic", "unit", "starts_on", "ends_on", "target_count", "created_by"]
    list_filter = ["topic", "starts_on"]
    search_fields = ["title", "description"]
    date_hierarchy = "starts_on"
    list_select_related = ["unit", "created_by"]
    raw_id_fields = ["unit", "created_by"]
    readonly_fields = [
        "unit",
        "unit_path",
        "min_age",
        "special_group",
        "target_count",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False  # started from the campaign pages, which draw the target households

    def has_delete_permission(self, request, obj=None):
        return False  # its households' marks are the record of the outreach


@admin.register(CampaignTarget)
class CampaignTargetAdmin(SimpleHistoryAdmin):
    list_display = ["household", "campaign", "cell_path", "status", "marked_by", "marked_at"]
    list_filter = ["status"]
    search_fields = ["campaign__title", "note"]
    list_select_related = ["campaign", "household__entrance__building__estate", "marked_by"]
    raw_id_fields = ["campaign", "household", "marked_by"]
    readonly_fields = ["campaign", "household", "cell_path", "status", "marked_by", "marked_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
