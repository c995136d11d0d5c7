"""Admin for distributions and their deliveries (imported by care/admin.py). Deliveries are recorded
through care.services_distributions; here a superuser reads them and may fix a text field."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from care.models import Delivery, Distribution


@admin.register(Distribution)
class DistributionAdmin(admin.ModelAdmin):
    list_display = ["title", "community", "items", "starts_on", "ends_on", "created_by"]
    list_filter = ["community"]
    date_hierarchy = "starts_on"
    search_fields = ["title", "items"]
    raw_id_fields = ["community", "created_by"]
    list_select_related = ["community", "created_by"]


@admin.register(Delivery)
class DeliveryAdmin(SimpleHistoryAdmin):
    list_display = ["distribution", "household", "resident", "items", "delivered_by", "delivered_at"]
    list_filter = ["distribution"]
    date_hierarchy = "delivered_at"
    search_fields = ["items", "note", "household__room", "household__entrance__building__name"]
    readonly_fields = ["distribution", "household", "delivered_by"]
    raw_id_fields = ["resident"]
    list_select_related = [
        "distribution",
        "household__entrance__building__estate",
        "resident",
        "delivered_by",
    ]

    def has_add_permission(self, request):
        return False
