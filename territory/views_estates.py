"""Estates, buildings and entrances pages (owned by the registry-editing work)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("not built yet", status=501)


estate_list = estate_create = estate_detail = login_required(_todo)
