"""Appointments as the viewer sees them (Appointment.objects.visible_to); phones masked."""

from ninja import Router
from ninja.pagination import paginate

from leaders.models import Appointment, Role
from leaders.schemas import AppointmentOut
from linli.api_types import Pagination

router = Router(tags=["leaders"])


@router.get("/appointments", response=list[AppointmentOut])
@paginate(Pagination, page_size=50, max_page_size=100)
def appointment_list(request, role: Role | None = None, active: bool | None = None):
    appointments = Appointment.objects.visible_to(request.user).select_related(
        "person", "unit", "estate", "building__estate"
    )
    if role:
        appointments = appointments.filter(role=role)
    if active is True:
        appointments = appointments.active()
    elif active is False:
        appointments = appointments.exclude(pk__in=Appointment.objects.active().values("pk"))
    return appointments
