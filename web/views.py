from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.scope import scope_for
from care.models import WelfareAlert
from care.selectors import home_round, territory_root_paths
from notices.selectors import inbox_unread_count
from people.models import Household
from service_requests.selectors import waiting_count, works_on_requests


@login_required
def home(request):
    """Each role's starting point: the links that matter to it, biggest first. Leaders and staff see
    what waits on them (counting queries, whatever the size of their territory); volunteers the orders
    dispatched to their teams."""
    scope = scope_for(request.user)
    context = {"scope": scope, "shows_requests": works_on_requests(scope)}
    if context["shows_requests"]:
        context["waiting_count"] = waiting_count(request.user)
        context["unread_count"] = inbox_unread_count(request.user)
    context["has_teams"] = request.user.teams.exists()
    if scope.is_leader or scope.is_staff:
        # Today's round: the first people due (one query, with the counts); the round page has them all.
        rows, due_today, overdue = home_round(request.user, timezone.localdate())
        context |= {
            "shows_care": True,
            "care_rows": rows,
            "care_due_today": due_today,
            "care_overdue": overdue,
            "care_oversees": bool(territory_root_paths(scope)),
            "open_alerts": WelfareAlert.objects.visible_to(request.user).open().count(),
        }
    if scope.own_household_id and not (scope.is_leader or scope.is_staff):
        # A resident reports a problem through the same page as their building's QR code.
        context["own_building_id"] = (
            Household.objects.filter(pk=scope.own_household_id)
            .values_list("entrance__building_id", flat=True)
            .first()
        )
    return render(request, "web/home.html", context)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def bench_floor(request):
    """The benchmark's floor (make bench): the cheapest authenticated page the stack serves, with the
    session, every middleware and one query (the user); 404 unless LINLI_BENCH_FLOOR is on."""
    if not settings.LINLI_BENCH_FLOOR:
        raise Http404
    return HttpResponse(
        request.user.full_name or request.user.username, content_type="text/plain; charset=utf-8"
    )
