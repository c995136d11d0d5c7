from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from accounts.scope import scope_for


@login_required
def home(request):
    """Each role's starting point: the links that matter to it, biggest first."""
    scope = scope_for(request.user)
    return render(request, "web/home.html", {"scope": scope})


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")
