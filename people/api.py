"""Households and residents as the viewer sees them; plain ID numbers and phones only through
people.services.resident_reveal, which logs who saw what."""

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from linli.api_types import Id, Pagination
from people.models import Household, Resident
from people.schemas import (
    ErrorOut,
    HouseholdDetailOut,
    HouseholdOut,
    ResidentDetailOut,
    ResidentOut,
    RevealIn,
    RevealOut,
    SpecialGroupCode,
)
from people.search import resident_search
from people.services import resident_reveal

router = Router(tags=["people"])

_PAGE = {"page_size": 50, "max_page_size": 100}


def _households(user):
    return (
        Household.objects.visible_to(user)
        .with_address()
        .select_related("community", "cell")
        .annotate(member_count=Count("members"))
    )


@router.get("/households", response=list[HouseholdOut])
@paginate(Pagination, **_PAGE)
def household_list(
    request,
    cell: Id | None = None,
    community: Id | None = None,
    special_group: SpecialGroupCode | None = None,
    q: str = "",
):
    households = _households(request.user)
    if cell is not None:
        households = households.filter(cell_id=cell)
    if community is not None:
        households = households.filter(community_id=community)
    if special_group:
        households = households.filter(
            pk__in=Resident.objects.filter(**{special_group: True}).values("household_id")
        )
    if q.strip():
        households = households.filter(pk__in=resident_search(request.user, q).values("household_id"))
    return households


@router.get("/households/{household_id}", response=HouseholdDetailOut)
def household_detail(request, household_id: Id):
    households = _households(request.user).prefetch_related(
        Prefetch("members", queryset=Resident.objects.order_by("id"))
    )
    household = get_object_or_404(households, pk=household_id)
    household.member_count = len(household.members.all())
    return {
        "id": household.id,
        "address": household.address,
        "community": household.community,
        "cell": household.cell,
        "status": household.status,
        "member_count": household.member_count,
        "members": list(household.members.all()),
    }


@router.get("/residents", response=list[ResidentOut])
@paginate(Pagination, **_PAGE)
def resident_list(request, q: str = ""):
    return resident_search(request.user, q).order_by("household_id", "id")


@router.get("/residents/{resident_id}", response=ResidentDetailOut)
def resident_detail(request, resident_id: Id):
    residents = Resident.objects.visible_to(request.user).select_related(
        "household__entrance__building__estate"
    )
    return get_object_or_404(residents, pk=resident_id)


@router.post("/residents/{resident_id}/reveal", response={200: RevealOut, 403: ErrorOut})
def resident_reveal_field(request, resident_id: Id, body: RevealIn):
    resident = get_object_or_404(Resident.objects.visible_to(request.user), pk=resident_id)
    try:
        value = resident_reveal(actor=request.user, resident=resident, field=body.field, request=request)
    except PermissionError as refusal:
        return Status(403, {"detail": str(refusal) or _("You may not reveal this.")})
    return Status(200, {"value": value})
