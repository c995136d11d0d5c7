"""The in-app inbox: what the user has been told, newest first, and marking it read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from linli.params import int_param
from notices import selectors
from notices.models import Notification


@login_required
@require_GET
def inbox(request):
    paginator = Paginator(selectors.inbox(request.user), selectors.INBOX_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": selectors.inbox_decorate(page.object_list, request.user),
        "unread": selectors.inbox_unread_count(request.user),
        "query_string": "",
    }
    return render(request, "notices/inbox.html", context)


def notifications_mark_read(*, user, pk: int | None = None) -> int:
    """Mark one of the user's notifications read, or all of them; someone else's is never touched.
    (A state change: it belongs in notices/services.py, which this module does not own.)"""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())


@login_required
@require_POST
def mark_read(request):
    raw = request.POST.get("id")
    pk = int_param(raw) if raw else None
    if raw and pk is None:
        return redirect("notices:inbox")
    notifications_mark_read(user=request.user, pk=pk)
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notices:inbox")
