"""A modal's inline errors name only boxes the modal shows: Slack refuses the whole answer
otherwise, and the person sees Slack's own connection error instead of what to fix."""

from __future__ import annotations

from typing import Any

from handlers.answers import show_errors


class _Ack:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def _view(*block_ids: str) -> dict[str, Any]:
    return {"blocks": [{"type": "section", "block_id": "intro"}]
            + [{"type": "input", "block_id": block_id} for block_id in block_ids]}


def test_errors_for_boxes_shown_go_under_them() -> None:
    ack = _Ack()
    show_errors(ack, view=_view("held_on", "notes"), errors={"notes": "Too long."})  # type: ignore[arg-type]
    assert ack.calls == [{"response_action": "errors", "errors": {"notes": "Too long."}}]


def test_an_error_for_a_box_not_shown_moves_to_the_first_box_that_is() -> None:
    ack = _Ack()
    show_errors(ack, view=_view("held_on", "notes"),  # type: ignore[arg-type]
                errors={"goals": "Say what you hope for.", "held_on": "A date, please."})
    assert ack.calls == [{"response_action": "errors",
                          "errors": {"held_on": "A date, please. Say what you hope for."}}]


def test_a_view_without_boxes_is_closed_rather_than_answered_with_errors_nothing_can_show() -> None:
    ack = _Ack()
    show_errors(ack, view={"blocks": []}, errors={"goals": "Say what you hope for."})  # type: ignore[arg-type]
    assert ack.calls == [{}]


def test_when_no_error_is_about_a_box_shown_the_listener_answers_in_its_own_way() -> None:
    ack, told = _Ack(), []
    show_errors(ack, view=_view("held_on"), errors={"goals": "Say what you hope for."},  # type: ignore[arg-type]
                when_none_shown=lambda: told.append("in place of the form"))
    assert ack.calls == [] and told == ["in place of the form"]


def test_blocks_or_state_of_the_wrong_shape_are_no_boxes_and_never_an_exception() -> None:
    """Found by the fuzzing: a view whose blocks were a number raised after the ack."""
    ack = _Ack()
    show_errors(ack, view={"blocks": 7, "state": "x"}, errors={"notes": "Too long."})  # type: ignore[arg-type]
    assert ack.calls == [{}]
