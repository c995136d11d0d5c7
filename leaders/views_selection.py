"""Selection pages: nominations, qualification review, appointment with a term, elections, training,
coverage, and the documents of an appointment. Staff pages fetch through the models' visible_to (staff of
another community find nothing: 404); a resident sees their own cell's election and their own
nominations. The rules live in leaders.services; these views parse, call and show errors back."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.scope import scope_for
from accounts.services import person_create
from leaders import documents, selectors, services
from leaders.forms import (
    ElectionOpenForm,
    NominationAppointForm,
    NominationRecommendForm,
    ReviewForm,
    SelectionFilterForm,
    SelfNominationForm,
    TrainingForm,
    VoteForm,
)
from leaders.models import Appointment, ElectionStatus, NominationStatus
from leaders.views import PAGE_SIZE, _picker, staff_required
from linli.params import int_param
from linli.pdf import pdf_response
from territory.models import CELL_MAX_HOUSEHOLDS, Level, TerritoryUnit


def _filters(request):
    """The community (for street staff with several) and status filters of the staff lists."""
    communities = list(selectors.staff_communities(request.user))
    form = SelectionFilterForm(request.GET or None, communities=communities)
    data = form.cleaned_data if form.is_valid() else {}
    return form, data.get("community"), data.get("status", "")


# --- Nominations ----------------------------------------------------------------------------------------


@staff_required
def nomination_list(request):
    form, community, status = _filters(request)
    nominations = selectors.nomination_list(request.user, community=community, status=status)
    page = Paginator(nominations, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(
        selectors.nomination_list(request.user, community=community)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "leaders/nomination_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "status_counts": [
                (value, label, counts.get(value, 0)) for value, label in NominationStatus.choices
            ],
        },
    )


@staff_required
def nomination_recommend(request):
    if request.method == "POST":
        form = NominationRecommendForm(request.POST, viewer=request.user)
        if form.is_valid():
            choice = form.cleaned_data["choice"]
            try:
                with transaction.atomic():
                    user = choice.user
                    if user is None and choice.resident is None:
                        user = person_create(
                            actor=request.user, full_name=choice.full_name, phone=choice.phone
                        )
                    nomination = services.nomination_recommend(
                        actor=request.user,
                        unit=form.cleaned_data["unit"],
                        role=form.cleaned_data["role"],
                        resident=choice.resident,
                        user=user,
                        statement=form.cleaned_data["statement"],
                    )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Nominated: %(nomination)s") % {"nomination": nomination})
                return redirect("leaders:nomination_detail", nomination.pk)
    else:
        initial = {
            key: request.GET.get(key, "") for key in ("q", "person", "new_full_name", "new_phone", "role")
        }
        if int_param(request.GET.get("unit")):
            initial["unit"] = str(int_param(request.GET["unit"]))
        form = NominationRecommendForm(initial=initial, viewer=request.user)
    return render(request, "leaders/nomination_recommend.html", {"form": form, **_picker(request, form)})


def _visible_nomination(request, pk: int):
    nomination = selectors.nomination_get(request.user, pk)
    if nomination is None:
        raise Http404
    return nomination


def _staff_nomination(request, pk: int):
    """A nomination the viewer manages as staff (their own, seen as a nominee, is not enough)."""
    nomination = _visible_nomination(request, pk)
    if not scope_for(request.user).can_manage_community(nomination.community_id):
        raise Http404
    return nomination


@login_required
def nomination_detail(request, pk: int):
    nomination = _visible_nomination(request, pk)
    manages = scope_for(request.user).can_manage_community(nomination.community_id)
    review = getattr(nomination, "review", None) if nomination.status != NominationStatus.PROPOSED else None
    return render(
        request,
        "leaders/nomination_detail.html",
        {
            "nomination": nomination,
            "review": review,
            "manages": manages,
            "lives_in_unit": services.nomination_lives_in_unit(nomination) if manages else None,
            "statuses": NominationStatus,
        },
    )


@staff_required
def nomination_review(request, pk: int):
    nomination = _staff_nomination(request, pk)
    if nomination.status != NominationStatus.PROPOSED:
        messages.warning(request, _("This nomination is not awaiting review."))
        return redirect("leaders:nomination_detail", nomination.pk)
    prefill = services.nomination_lives_in_unit(nomination)
    form = ReviewForm(
        request.POST or None,
        initial={"lives_in_cell": bool(prefill), "reviewed_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.nomination_review(
                actor=request.user,
                nomination=nomination,
                checks=form.checks(),
                notes=form.notes(),
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                reviewed_on=form.cleaned_data["reviewed_on"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Review recorded."))
            return redirect("leaders:nomination_detail", nomination.pk)
    return render(
        request,
        "leaders/nomination_review.html",
        {"nomination": nomination, "form": form, "prefill": prefill},
    )


@staff_required
def nomination_appoint(request, pk: int):
    nomination = _staff_nomination(request, pk)
    if nomination.status != NominationStatus.APPROVED:
        messages.warning(request, _("Only an approved nomination can be appointed."))
        return redirect("leaders:nomination_detail", nomination.pk)
    holders = list(selectors.post_holders(nomination))
    form = NominationAppointForm(request.POST or None, holders=holders)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                appointment = services.nomination_appoint(
                    actor=request.user,
                    nomination=nomination,
                    started_on=form.cleaned_data["started_on"],
                    term_ends_on=form.cleaned_data["term_ends_on"],
                    replaces=form.cleaned_data["replaces"],
                    end_reason=form.cleaned_data["end_reason"] or None,
                    end_note=form.cleaned_data["end_note"],
                )
        except ValidationError as error:
            nomination.refresh_from_db()
            form.add_error(None, error)
        else:
            messages.success(request, _("Appointed: %(post)s") % {"post": appointment})
            return redirect("leaders:nomination_detail", nomination.pk)
    return render(
        request,
        "leaders/nomination_appoint.html",
        {"nomination": nomination, "form": form, "holders": holders},
    )


@login_required
@require_POST
def nomination_withdraw(request, pk: int):
    nomination = _visible_nomination(request, pk)
    try:
        services.nomination_withdraw(
            actor=request.user, nomination=nomination, note=request.POST.get("note", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The nomination was withdrawn."))
    return redirect("leaders:nomination_detail", nomination.pk)


# --- Residents: my cell, self-nomination ----------------------------------------------------------------


@login_required
def my_cell(request):
    mine = selectors.my_cell(request.user)
    return render(request, "leaders/my_cell.html", {"mine": mine, "now": timezone.now()})


@login_required
def nominate_self(request):
    mine = selectors.my_cell(request.user)
    form = SelfNominationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.nomination_self_create(actor=request.user, statement=form.cleaned_data["statement"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you. The community will review your nomination."))
            return redirect("leaders:my_cell")
    return render(request, "leaders/nominate_self.html", {"mine": mine, "form": form})


# --- Elections ------------------------------------------------------------------------------------------


@staff_required
def election_list(request):
    form, community, _status = _filters(request)
    elections = selectors.election_list(request.user, community=community)
    page = Paginator(elections, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "leaders/election_list.html", {"form": form, "page": page})


def _chosen_cell(request, value) -> TerritoryUnit | None:
    pk = int_param(value)
    if pk is None:
        return None
    return TerritoryUnit.objects.visible_to(request.user).filter(pk=pk, level=Level.CELL).first()


@staff_required
def election_open(request):
    source = request.POST if request.method == "POST" else request.GET
    cell = _chosen_cell(request, source.get("unit"))
    candidates = list(selectors.cell_candidates(cell)) if cell else []
    if request.method == "POST":
        form = ElectionOpenForm(request.POST, viewer=request.user, candidates=candidates)
        if form.is_valid():
            try:
                election = services.election_open(
                    actor=request.user,
                    cell=form.cleaned_data["unit"],
                    opens_at=form.cleaned_data["opens_at"],
                    closes_at=form.cleaned_data["closes_at"],
                    candidates=form.cleaned_data["candidates"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The election is open."))
                return redirect("leaders:election_detail", election.pk)
    else:
        now = timezone.localtime().replace(second=0, microsecond=0)
        initial = {"opens_at": now, "closes_at": now + datetime.timedelta(days=7)}
        if cell:
            initial["unit"] = str(cell.pk)
        form = ElectionOpenForm(initial=initial, viewer=request.user, candidates=candidates)
    return render(request, "leaders/election_open.html", {"form": form, "cell": cell})


def _visible_election(request, pk: int):
    election = selectors.election_get(request.user, pk)
    if election is None:
        raise Http404
    return election


@login_required
def election_detail(request, pk: int):
    election = _visible_election(request, pk)
    manages = scope_for(request.user).can_manage_community(election.community_id)
    candidates = list(election.candidates.select_related("resident").order_by("pk"))
    context = {
        "election": election,
        "manages": manages,
        "candidates": candidates,
        "statuses": ElectionStatus,
        "voting": election.is_voting(),
    }
    if manages:
        context["households_voted"] = election.votes.count()
    if election.status == ElectionStatus.PUBLISHED or (manages and election.status == ElectionStatus.CLOSED):
        context["tally"] = services.election_tally(election)
    if request.user.resident_id:
        context["own_vote"] = selectors.election_household_vote(election, request.user)
        if context["voting"] and context["own_vote"] is None:
            context["vote_form"] = VoteForm(candidates=candidates)
    return render(request, "leaders/election_detail.html", context)


@login_required
@require_POST
def election_vote(request, pk: int):
    election = _visible_election(request, pk)
    candidates = list(election.candidates.select_related("resident").order_by("pk"))
    form = VoteForm(request.POST, candidates=candidates)
    if form.is_valid():
        try:
            services.election_vote(
                actor=request.user, election=election, candidate=form.cleaned_data["candidate"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your household's vote is recorded. Thank you."))
            return redirect("leaders:election_detail", election.pk)
    context = {
        "election": election,
        "manages": False,
        "candidates": candidates,
        "statuses": ElectionStatus,
        "voting": election.is_voting(),
        "vote_form": form,
    }
    return render(request, "leaders/election_detail.html", context)


ELECTION_ACTIONS = {
    "close": (services.election_close, gettext_lazy("Voting is closed.")),
    "publish": (services.election_publish, gettext_lazy("The results are published.")),
    "cancel": (services.election_cancel, gettext_lazy("The election is cancelled.")),
}


@staff_required
@require_POST
def election_act(request, pk: int, action: str):
    election = _visible_election(request, pk)
    if action not in ELECTION_ACTIONS or not scope_for(request.user).can_manage_community(
        election.community_id
    ):
        raise Http404
    service, done = ELECTION_ACTIONS[action]
    try:
        result = service(actor=request.user, election=election)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, str(done))
        if action == "publish":
            if result is None:
                messages.warning(request, _("No single winner: open a new election or recommend someone."))
            else:
                return redirect("leaders:nomination_detail", result.pk)
    return redirect("leaders:election_detail", election.pk)


# --- Training -------------------------------------------------------------------------------------------


@staff_required
def training_list(request):
    form, community, _status = _filters(request)
    trainings = selectors.training_list(request.user, community=community)
    page = Paginator(trainings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "leaders/training_list.html", {"form": form, "page": page})


@staff_required
def training_create(request):
    form = TrainingForm(request.POST or None, viewer=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            training = services.training_create(
                actor=request.user,
                unit=form.cleaned_data["unit"],
                title=form.cleaned_data["title"],
                held_on=form.cleaned_data["held_on"],
                place=form.cleaned_data["place"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Training recorded. Now mark who attended."))
            return redirect("leaders:training_detail", training.pk)
    return render(request, "leaders/training_form.html", {"form": form})


@staff_required
def training_detail(request, pk: int):
    training = selectors.training_get(request.user, pk)
    if training is None:
        raise Http404
    invitees = selectors.training_invitees(training)
    error = None
    if request.method == "POST":
        attended = {int_param(value) for value in request.POST.getlist("attended")}
        try:
            if None in attended:
                raise ValidationError(_("Mark only the people invited to this training."))
            present = services.training_attendance_record(
                actor=request.user,
                training=training,
                invited=[i.user for i in invitees],
                attended_ids=attended,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Attendance saved: %(count)s present.") % {"count": present})
            return redirect("leaders:training_detail", training.pk)
    return render(
        request,
        "leaders/training_detail.html",
        {
            "training": training,
            "invitees": invitees,
            "recorded_any": any(i.attended is not None for i in invitees),
            "error": error,
        },
    )


# --- Coverage -------------------------------------------------------------------------------------------


@staff_required
def coverage(request):
    form, community, _status = _filters(request)
    report = selectors.coverage(request.user, community=community)
    return render(
        request,
        "leaders/coverage.html",
        {
            "form": form,
            "report": report,
            "warning_days": selectors.TERM_WARNING_DAYS,
            "max_households": CELL_MAX_HOUSEHOLDS,
        },
    )


# --- Documents ------------------------------------------------------------------------------------------


def _document_appointment(request, pk: int) -> Appointment:
    """Staff print the documents of posts in their territory; anyone else only those of their own posts."""
    if scope_for(request.user).is_staff:
        appointments = Appointment.objects.visible_to(request.user)
    else:
        appointments = Appointment.objects.filter(person=request.user)
    return get_object_or_404(
        appointments.select_related(
            "person__resident", "unit", "estate__community", "building__estate__community"
        ),
        pk=pk,
    )


@login_required
def appointment_letter(request, pk: int):
    appointment = _document_appointment(request, pk)
    facts = documents.post_facts(appointment, absolute_url=request.build_absolute_uri)
    name = _("Letter of appointment %(name)s.pdf") % {"name": facts.name}
    return pdf_response(documents.letter_pdf(facts), name)


@login_required
def appointment_card(request, pk: int):
    appointment = _document_appointment(request, pk)
    facts = documents.post_facts(appointment, absolute_url=request.build_absolute_uri)
    name = _("Representative card %(name)s.pdf") % {"name": facts.name}
    return pdf_response(documents.card_pdf(facts), name)
