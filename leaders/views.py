"""Appointment pages (owned by the tree-and-appointments work)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("not built yet", status=501)


appointment_list = appointment_create = appointment_end = appointment_hand_over = login_required(_todo)
