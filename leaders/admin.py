"""Admin for appointments. A post is appointed through leaders.services; afterwards only its end
(date, reason, note) is edited here, so the post's history stays a list of whole terms."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from leaders.models import (
    Appointment,
    Attendance,
    Election,
    ElectionCandidate,
    Nomination,
    QualificationReview,
    Training,
    Vote,
)
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


# --- Selection. Nominations, reviews and elections move only through leaders.services (their pages keep
# the rules: who may vote, when, the checklist); the admin shows them read-only. Training is plain data.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Nomination)
class NominationAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "source", "status", "community", "created_at"]
    list_filter = ["status", "source", "role"]
    search_fields = ["resident__name", "user__full_name", "unit__name", "community__name"]
    list_select_related = ["resident", "user", "unit", "community"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(QualificationReview)
class QualificationReviewAdmin(ReadOnlyAdmin):
    list_display = ["nomination", "decision", "reviewer", "reviewed_on"]
    list_filter = ["decision"]
    search_fields = ["nomination__resident__name", "nomination__unit__name", "reason"]
    list_select_related = ["nomination__resident", "nomination__user", "nomination__unit", "reviewer"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(nomination__in=Nomination.objects.visible_to(request.user))
        )


class CandidateInline(admin.TabularInline):
    model = ElectionCandidate
    fields = ["resident"]
    readonly_fields = ["resident"]
    extra = 0
    can_delete = False


@admin.register(Election)
class ElectionAdmin(ReadOnlyAdmin):
    list_display = ["unit", "community", "status", "opens_at", "closes_at", "winner"]
    list_filter = ["status"]
    search_fields = ["unit__name", "community__name"]
    list_select_related = ["unit", "community", "winner"]
    inlines = [CandidateInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(ElectionCandidate)
class ElectionCandidateAdmin(ReadOnlyAdmin):
    list_display = ["resident", "election"]
    search_fields = ["resident__name", "election__unit__name"]
    list_select_related = ["resident", "election__unit"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(election__in=Election.objects.visible_to(request.user))


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    """Which household voted and when; not for whom (the ballot is not shown here)."""

    list_display = ["election", "household", "cast_at"]
    fields = ["election", "household", "voter", "cast_at"]
    search_fields = ["election__unit__name"]
    list_select_related = ["election__unit", "household__entrance__building__estate"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(election__in=Election.objects.visible_to(request.user))


class AttendanceInline(admin.TabularInline):
    model = Attendance
    fields = ["person", "attended"]
    autocomplete_fields = ["person"]
    extra = 0


@admin.register(Training)
class TrainingAdmin(admin.ModelAdmin):
    list_display = ["title", "held_on", "community", "unit", "place"]
    list_filter = ["held_on"]
    search_fields = ["title", "place", "community__name", "unit__name"]
    list_select_related = ["community", "unit"]
    autocomplete_fields = ["community", "unit"]
    inlines = [AttendanceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["person", "training", "attended"]
    list_filter = ["attended"]
    search_fields = ["person__full_name", "training__title", "training__community__name"]
    list_select_related = ["person", "training"]
    autocomplete_fields = ["person", "training"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(training__in=Training.objects.visible_to(request.user))
