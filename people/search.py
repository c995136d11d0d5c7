"""Search residents by name, pinyin initials, phone, address or ID number, within the viewer's scope."""

import re

from django.db.models import Q
from pypinyin import Style, lazy_pinyin

from people import identity
from people.models import Resident


def pinyin_forms(name: str) -> tuple[str, str]:
    """('zhangguilian', 'zgl') for 张桂莲; heteronyms take pypinyin's most common reading."""
    syllables = [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore")]
    return "".join(syllables), "".join(s[0] for s in syllables if s)


def resident_search(user, query: str):
    """Residents visible to `user` that match `query`; an empty query matches nothing."""
    query = (query or "").strip()
    if not query:
        return Resident.objects.none()
    visible = Resident.objects.visible_to(user)
    normalised = identity.normalise(query)
    if re.fullmatch(r"\d{17}[\dX]", normalised):
        return visible.filter(id_number_digest=identity.id_number_digest(normalised))
    q = Q(name__contains=query)
    if re.fullmatch(r"[a-zA-Z]+", query):
        lowered = query.lower()
        q |= Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered)
    digits = identity.phone_normalise(query)
    if re.fullmatch(r"\d{3,11}", digits):
        q |= Q(phone__contains=digits)
    # Address words (estate, building, entrance, room): every word must match one of them.
    address = Q()
    for word in query.split():
        address &= (
            Q(household__entrance__building__estate__name__contains=word)
            | Q(household__entrance__building__name=word)
            | Q(household__entrance__name=word)
            | Q(household__room=word)
        )
    if not re.fullmatch(r"[a-zA-Z]+", query):
        q |= address
    return visible.filter(q)
