"""Admin for appointments. A post is appointed through leaders.services; afterwards only its end
(date, reason, note) is edited here, so the post's history stays a list of whole terms."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from leaders.models import Appointment
from leaders.services import appointment_create, appointment_end, appointment_place_check

_PLACE_FIELDS = ["person", "role", "unit", "estate", "building", "started_on"]


class AppointmentForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = [*_PLACE_FIELDS, "ended_on", "end_reason", "end_note"]

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and cleaned.get("role"):
            appointment_place_check(
                cleaned["role"], cleaned.get("unit"), cleaned.get("estate"), cleaned.get("building")
            )
        if cleaned.get("ended_on") and not cleaned.get("end_reason"):
            self.add_error("end_reason", _("Say why the term ended."))
        return cleaned


@admin.register(Appointment)
class AppointmentAdmin(SimpleHistoryAdmin):
    form = AppointmentForm
    list_display = ["person", "role", "place", "started_on", "ended_on", "end_reason"]
    list_filter = ["role", "end_reason", "started_on"]
    search_fields = ["person__full_name", "person__username"]
    autocomplete_fields = ["person", "unit", "estate", "building"]
    list_select_related = ["person", "unit", "estate", "building__estate"]
    date_hierarchy = "started_on"

    @admin.display(description=_("place"))
    def place(self, obj):
        return obj.place

    def get_readonly_fields(self, request, obj=None):
        return _PLACE_FIELDS if obj else []

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = appointment_create(
                actor=request.user,
                person=data["person"],
                role=data["role"],
                started_on=data["started_on"],
                unit=data.get("unit"),
                estate=data.get("estate"),
                building=data.get("building"),
            )
            obj.pk = created.pk
            return
        stored = Appointment.objects.get(pk=obj.pk)
        if stored.ended_on is None and obj.ended_on is not None:
            appointment_end(
                actor=request.user,
                appointment=stored,
                ended_on=obj.ended_on,
                reason=obj.end_reason,
                note=obj.end_note,
            )
        else:
            obj._history_user = request.user
            obj.save()
