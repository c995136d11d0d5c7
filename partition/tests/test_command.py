import io

import pytest
from django.core.management import CommandError, call_command

from people.models import Household


def _run(**options) -> str:
    out = io.StringIO()
    call_command("partition", stdout=out, **options)
    return out.getvalue()


def test_the_command_prints_the_figures_and_changes_nothing(cast):
    before = list(Household.objects.values_list("pk", "cell_id"))
    text = _run(community="幸福社区", areas=1)
    assert "households            5" in text
    assert "100.0% within 5–15" in text
    assert "households moved      2  (and 1 in no cell placed)" in text
    assert "Nothing changed" in text
    assert list(Household.objects.values_list("pk", "cell_id")) == before


def test_the_command_applies_with_apply(cast):
    text = _run(community="幸福社区", areas=1, apply=True)
    assert "Applied in" in text and "3 households moved" in text
    assert set(Household.objects.filter(community=cast.community).values_list("cell_id", flat=True)) == {
        cast.cell.pk
    }
    assert "households moved      0" in _run(community="幸福社区", areas=1)


def test_the_command_keeps_the_current_number_of_areas_by_default(world):
    text = _run(community="幸福社区")
    assert "幸福社区: 2 areas" in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"community": "没有这个社区"}, "No community"),
        ({"community": "幸福社区", "areas": 5}, "at most 1 area"),
        ({"community": "幸福社区", "areas": 0}, "at least one area"),
    ],
)
def test_the_command_says_what_is_wrong(cast, options, message):
    from django.utils import translation

    with translation.override("en"), pytest.raises(CommandError, match=message):
        _run(**options)
