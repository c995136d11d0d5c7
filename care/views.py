"""The care pages: today's round, a care plan (log a contact, choose a carer, tap-to-call), and for staff
the community's plans, carers' loads and cadence rules. Thin: parse, call a selector or a service,
render.

Plans are fetched only through CarePlan.objects.visible_to (care.selectors.plan_get): outside the viewer's
scope a plan is a 404. The services decide who may change what: their PermissionDenied is a 403, their
ValidationError comes back on the form with everything typed kept.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scope import scope_for, staff_scope
from care import selectors, services
from care.forms import CadenceForm, CarerForm, ContactForm
from care.models import CadenceRule, SpecialGroup
from linli.params import int_param
from people.services import resident_reveal

REVEAL_FIELDS = ("phone", "emergency_phone")


def _query_without(params, *names) -> str:
    query = params.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# ---- Today's round ---------------------------------------------------------------------------------


@login_required
@require_GET
def round_today(request):
    user, today = request.user, timezone.localdate()
    scope = scope_for(user)
    mine = selectors.my_round(user, today)
    if not selectors.works_on_care(scope) and not (mine.due or mine.coming):
        raise Http404
    context = {"today": today, "mine": mine, "scope": scope, "territory": None}
    territory = selectors.territory_round(user, today)
    if territory is not None:
        paginator = Paginator(selectors.overdue_plans(territory, today), selectors.OVERDUE_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        context |= {
            "territory": territory,
            "page": page,
            "overdue": [selectors.plan_decorate(plan, today) for plan in page.object_list],
            "query_string": _query_without(request.GET, "page"),
        }
    return render(request, "care/round.html", context)


# ---- A care plan -----------------------------------------------------------------------------------


def _plan_or_404(user, pk: int):
    plan = selectors.plan_get(user, pk)
    if plan is None:
        raise Http404
    return plan


def _plan_context(request, plan, *, contact_form=None, carer_form=None, revealed=None):
    user, today = request.user, timezone.localdate()
    scope = scope_for(user)
    can_log = plan.is_active and services.care_plan_can_log(user, plan)
    can_assign = plan.is_active and scope.can_manage_community(plan.community_id)
    if can_log and contact_form is None:
        contact_form = ContactForm(kinds=selectors.need_kinds(plan))
    if can_assign and carer_form is None:
        carer_form = CarerForm(
            candidates=selectors.carer_choices(plan),
            initial={"carer": plan.carer_id if plan.carer_pinned else None},
        )
    paginator = Paginator(selectors.plan_contacts(user, plan), selectors.CONTACTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return {
        "plan": selectors.plan_decorate(plan, today),
        "resident": plan.resident,
        "household": plan.resident.household,
        "phones": selectors.plan_phones(plan, revealed),
        "today": today,
        "can_log": can_log,
        "contact_form": contact_form if can_log else None,
        "carer_form": carer_form if can_assign else None,
        "page": page,
        "contacts": page.object_list,
        "from_round": request.GET.get("from") == "round" or request.POST.get("next") == "round",
    }


@login_required
@require_http_methods(["GET", "POST"])
def plan_detail(request, pk: int):
    plan = _plan_or_404(request.user, pk)
    if request.method == "GET":
        return render(request, "care/plan.html", _plan_context(request, plan))
    if not plan.is_active:
        messages.error(request, _("This care plan has ended."))
        return redirect("care:plan", pk=plan.pk)
    form = ContactForm(request.POST, kinds=selectors.need_kinds(plan))
    if form.is_valid():
        data = form.cleaned_data
        try:
            contact = services.care_contact_log(
                actor=request.user,
                plan=plan,
                kind=data["kind"],
                wellbeing=data["wellbeing"],
                note=data["note"],
                need_kind=data["need_kind"],
                need_description=data["need_description"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            _logged_message(request, plan, contact)
            if request.POST.get("next") == "round":
                return redirect("care:round")
            return redirect("care:plan", pk=plan.pk)
    fresh = _plan_or_404(request.user, pk)  # nothing was saved; show what is stored
    return render(request, "care/plan.html", _plan_context(request, fresh, contact_form=form))


def _logged_message(request, plan, contact) -> None:
    text = _("Recorded for %(name)s.") % {"name": plan.resident.name}
    if contact.request_id is None:
        messages.success(request, text)
        return
    messages.success(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            text,
            reverse("service_requests:detail", args=[contact.request_id]),
            _("Request %(ref)s is filed for the need found.") % {"ref": contact.request.reference},
        ),
    )


@login_required
@require_POST
def plan_carer(request, pk: int):
    """Staff choose the carer (services.care_plan_assign_carer decides who may)."""
    plan = _plan_or_404(request.user, pk)
    if not scope_for(request.user).can_manage_community(plan.community_id):
        raise Http404
    form = CarerForm(request.POST, candidates=selectors.carer_choices(plan))
    if form.is_valid():
        try:
            services.care_plan_assign_carer(actor=request.user, plan=plan, carer=form.cleaned_data["carer"])
        except ValidationError as exc:
            form.add_error("carer", exc.messages)
        else:
            messages.success(request, _("The carer is changed."))
            return redirect("care:plan", pk=plan.pk)
    fresh = _plan_or_404(request.user, pk)
    return render(request, "care/plan.html", _plan_context(request, fresh, carer_form=form))


@login_required
@require_POST
def plan_reveal(request, pk: int, resident_id: int, field: str):
    """Reveal a phone on the plan page (audited by people.services.resident_reveal). The plan's
    visibility decides: a carer chosen from outside the cell reaches their person's numbers too. htmx
    gets the partial; a plain POST the page with the number shown."""
    if field not in REVEAL_FIELDS:
        raise Http404
    plan = _plan_or_404(request.user, pk)
    # Only a number the page offers (the person's own phone, the household's emergency contacts): a
    # housemate's own phone is not the carer's to read, and is not written to the access log as read.
    key = f"{resident_id}-{field}"
    phone = next((p for p in selectors.plan_phones(plan) if p.key == key), None)
    if phone is None:
        raise Http404
    value = resident_reveal(actor=request.user, resident=phone.resident, field=field, request=request)
    if request.htmx:
        phone.value = value
        return render(request, "care/plan_reveal.html", {"plan": plan, "phone": phone})
    return render(request, "care/plan.html", _plan_context(request, plan, revealed={key: value}))


# ---- Staff: the community's plans, carers and cadence -----------------------------------------------


def _community_or_404(request, communities):
    community = selectors.community_pick(
        communities, request.GET.get("community") or request.POST.get("community")
    )
    if community is None:
        raise Http404
    return community


@login_required
@require_GET
def plan_list(request):
    staff_scope(request)
    today = timezone.localdate()
    communities = selectors.staff_communities(request.user)
    if not communities:
        raise Http404
    filters = selectors.plan_filters_parse(request.GET, communities)
    paginator = Paginator(selectors.community_plans(request.user, filters, today), selectors.PLANS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    carers = [
        row for row in selectors.community_carers(request.user, filters.community, today) if row["carer_id"]
    ]
    context = {
        "communities": communities,
        "filters": filters,
        "groups": SpecialGroup.choices,
        "states": selectors.STATES,
        "carers": carers,
        "page": page,
        "plans": [selectors.plan_decorate(plan, today) for plan in page.object_list],
        "query_string": _query_without(request.GET, "page"),
        "today": today,
    }
    return render(request, "care/plans.html", context)


@login_required
@require_GET
def carer_list(request):
    staff_scope(request)
    communities = selectors.staff_communities(request.user)
    community = _community_or_404(request, communities)
    rows = selectors.community_carers(request.user, community, timezone.localdate())
    context = {"communities": communities, "community": community, "rows": rows}
    return render(request, "care/carers.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def cadence(request):
    staff_scope(request)
    communities = selectors.staff_communities(request.user)
    community = _community_or_404(request, communities)
    rules = services.cadence_rules_for(community)
    bound = {}
    if request.method == "POST":
        rule = next((r for r in rules.values() if r.pk == int_param(request.POST.get("rule"))), None)
        if rule is None:
            raise Http404
        form = CadenceForm(request.POST, prefix=f"rule-{rule.pk}")
        if form.is_valid():
            try:
                changed = services.cadence_rule_update(actor=request.user, rule=rule, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    _("Saved. %(count)s care plans follow the new cadence.") % {"count": changed},
                )
                return redirect(f"{reverse('care:cadence')}?community={community.pk}")
        bound[rule.pk] = form  # the refusal changed nothing: the rule is as stored, the form as typed
    rows = [
        {
            "rule": rule,
            "plans": count,
            "form": bound.get(rule.pk) or CadenceForm(prefix=f"rule-{rule.pk}", initial=_rule_initial(rule)),
        }
        for rule, count in selectors.cadence_rows(request.user, community, rules)
    ]
    context = {"communities": communities, "community": community, "rows": rows}
    return render(request, "care/cadence.html", context)


def _rule_initial(rule: CadenceRule) -> dict:
    return {
        "cared_for": rule.cared_for,
        "greeting_days": rule.greeting_days,
        "visit_days": rule.visit_days,
        "group_after_days": rule.group_after_days,
        "area_after_days": rule.area_after_days,
    }
