"""Boards in the admin: listed and opened read-only by a superuser."""

from django.urls import reverse

from accounts.models import User
from boards.models import Board
from boards.selectors import board_content_for_building
from boards.services import board_refresh


def test_superuser_lists_and_opens_boards_read_only(cast, boarded, client):
    board = board_refresh(content=board_content_for_building(boarded.b1))
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    assert client.get(reverse("admin:boards_board_changelist")).status_code == 200
    assert client.get(reverse("admin:boards_board_change", args=[board.pk])).status_code == 200
    assert client.get(reverse("admin:boards_board_add")).status_code == 403
    assert Board.objects.count() == 1
