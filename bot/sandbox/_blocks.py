"""Block Kit and view checks, so the sandbox refuses what Slack would refuse.

A fake that accepts any JSON lets a bot ship a 25-character modal title or a 51-block
message and find out in production. These checks cover the limits listed in
``SLACK_FACTS.md`` (and a few structural rules Slack enforces on the same objects). They
return Slack-style messages (``"[ERROR] ... [json-pointer:/blocks/0/text/text]"``) that the
server puts into ``response_metadata.messages``, as Slack does, so a failing test says
exactly which field broke which rule.

The checks are deliberately not a full schema: they reject what Slack certainly rejects and
let through what they do not understand, so the sandbox never refuses a valid payload.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MODAL_TEXT_LIMIT = 24
PRIVATE_METADATA_LIMIT = 3000
CALLBACK_ID_LIMIT = 255
EXTERNAL_ID_LIMIT = 255

_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
        "call",
        "table",
        "context_actions",
    }
)
_TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
_SELECT_TYPES = frozenset({"static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"})
#: Radio buttons and checkboxes take at most 10 options (selects take 100).
_CHOICE_OPTION_LIMIT = {"radio_buttons": 10, "checkboxes": 10}


def _option_key(option: Any) -> tuple[Any, Any]:
    """What makes two option objects the same option: the value and the text shown."""
    if not isinstance(option, dict):
        return (None, None)
    text = option.get("text")
    return option.get("value"), text.get("text") if isinstance(text, dict) else text


def _err(message: str, pointer: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"


class _Checker:
    """Walks one surface (a message or a view), collecting messages and seen ids."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self._block_ids: set[str] = set()
        self._action_ids: set[str] = set()

    def text_object(
        self,
        obj: Any,
        pointer: str,
        *,
        max_len: int,
        plain_only: bool = False,
    ) -> None:
        """A text object: ``{"type": "plain_text"|"mrkdwn", "text": "..."}`` within a length."""
        if not isinstance(obj, dict):
            self.errors.append(_err("must be an object", pointer))
            return
        kind = obj.get("type")
        allowed = {"plain_text"} if plain_only else _TEXT_TYPES
        if kind not in allowed:
            self.errors.append(_err(f"must be one of: {', '.join(sorted(allowed))}", f"{pointer}/type"))
        text = obj.get("text")
        if not isinstance(text, str):
            self.errors.append(_err("missing required field: text", pointer))
            return
        if len(text) == 0:
            self.errors.append(_err("must be more than 0 characters", f"{pointer}/text"))
        if len(text) > max_len:
            self.errors.append(_err(f"must be less than {max_len + 1} characters", f"{pointer}/text"))

    def _action_id(self, element: dict[str, Any], pointer: str) -> None:
        action_id = element.get("action_id")
        if action_id is None:
            return
        if not isinstance(action_id, str) or len(action_id) > 255:
            self.errors.append(_err("must be a string of at most 255 characters", f"{pointer}/action_id"))
            return
        if action_id in self._action_ids:
            self.errors.append(_err(f"duplicate action_id: {action_id}", f"{pointer}/action_id"))
        self._action_ids.add(action_id)

    def _option(self, option: Any, pointer: str) -> None:
        if not isinstance(option, dict):
            self.errors.append(_err("must be an object", pointer))
            return
        self.text_object(option.get("text"), f"{pointer}/text", max_len=75)
        value = option.get("value")
        if isinstance(value, str) and len(value) > 150:
            self.errors.append(_err("must be less than 151 characters", f"{pointer}/value"))

    def element(self, element: Any, pointer: str) -> None:
        """An interactive element (button, select, picker, input) inside a block."""
        if not isinstance(element, dict) or not isinstance(element.get("type"), str):
            self.errors.append(_err("must be an object with a type", pointer))
            return
        self._action_id(element, pointer)
        kind = element["type"]
        if kind == "button":
            self.text_object(element.get("text"), f"{pointer}/text", max_len=75, plain_only=True)
            value = element.get("value")
            if isinstance(value, str) and len(value) > 2000:
                self.errors.append(_err("must be less than 2001 characters", f"{pointer}/value"))
            url = element.get("url")
            if isinstance(url, str) and len(url) > 3000:
                self.errors.append(_err("must be less than 3001 characters", f"{pointer}/url"))
        elif kind in _SELECT_TYPES:
            options = element.get("options")
            if options is None and kind in {"static_select", "multi_static_select"}:
                options = [o for g in element.get("option_groups") or [] for o in (g.get("options") or [])]
            if options is not None:
                if not isinstance(options, list):
                    self.errors.append(_err("must be an array", f"{pointer}/options"))
                else:
                    limit = _CHOICE_OPTION_LIMIT.get(kind, 100)
                    if len(options) > limit:
                        self.errors.append(_err(f"no more than {limit} items allowed", f"{pointer}/options"))
                    for i, option in enumerate(options):
                        self._option(option, f"{pointer}/options/{i}")
                    self._initial_options(element, options, pointer)
        placeholder = element.get("placeholder")
        if placeholder is not None:
            self.text_object(placeholder, f"{pointer}/placeholder", max_len=150, plain_only=True)

    def _initial_options(self, element: dict[str, Any], options: list[Any], pointer: str) -> None:
        """An ``initial_option`` (or each of ``initial_options``) must be one of the element's options."""
        offered = {_option_key(option) for option in options if isinstance(option, dict)}
        initial = element.get("initial_option")
        if initial is not None and _option_key(initial) not in offered:
            self.errors.append(_err("must match one of the options", f"{pointer}/initial_option"))
        for i, option in enumerate(element.get("initial_options") or []):
            if _option_key(option) not in offered:
                self.errors.append(_err("must match one of the options", f"{pointer}/initial_options/{i}"))

    def block(self, block: Any, pointer: str) -> None:
        """One layout block: type known, ``block_id`` unique, per-type limits."""
        if not isinstance(block, dict):
            self.errors.append(_err("must be an object", pointer))
            return
        kind = block.get("type")
        if not isinstance(kind, str):
            self.errors.append(_err("missing required field: type", pointer))
            return
        if kind not in _BLOCK_TYPES:
            self.errors.append(_err(f"unsupported type: {kind}", f"{pointer}/type"))
            return
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > 255:
                self.errors.append(_err("must be a string of at most 255 characters", f"{pointer}/block_id"))
            elif block_id in self._block_ids:
                self.errors.append(_err(f"duplicate block_id: {block_id}", f"{pointer}/block_id"))
            else:
                self._block_ids.add(block_id)
        if kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and fields is None:
                self.errors.append(_err("must provide either text or fields", pointer))
            if text is not None:
                self.text_object(text, f"{pointer}/text", max_len=3000)
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > 10:
                    self.errors.append(_err("no more than 10 items allowed", f"{pointer}/fields"))
                else:
                    for i, field in enumerate(fields):
                        self.text_object(field, f"{pointer}/fields/{i}", max_len=2000)
            if block.get("accessory") is not None:
                self.element(block["accessory"], f"{pointer}/accessory")
        elif kind == "header":
            self.text_object(block.get("text"), f"{pointer}/text", max_len=150, plain_only=True)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.errors.append(_err("must provide at least one element", f"{pointer}/elements"))
            else:
                if len(elements) > 25:
                    self.errors.append(_err("no more than 25 items allowed", f"{pointer}/elements"))
                for i, element in enumerate(elements):
                    self.element(element, f"{pointer}/elements/{i}")
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.errors.append(_err("must provide at least one element", f"{pointer}/elements"))
            elif len(elements) > 10:
                self.errors.append(_err("no more than 10 items allowed", f"{pointer}/elements"))
        elif kind == "input":
            self.text_object(block.get("label"), f"{pointer}/label", max_len=2000, plain_only=True)
            if block.get("hint") is not None:
                self.text_object(block["hint"], f"{pointer}/hint", max_len=2000, plain_only=True)
            if block.get("element") is None:
                self.errors.append(_err("missing required field: element", pointer))
            else:
                self.element(block["element"], f"{pointer}/element")
        elif kind == "image":
            if block.get("image_url") is None and block.get("slack_file") is None:
                self.errors.append(_err("must provide either image_url or slack_file", pointer))
            alt = block.get("alt_text")
            if not isinstance(alt, str) or len(alt) > 2000:
                self.errors.append(_err("missing required field: alt_text", pointer))

    def blocks(self, blocks: Any, pointer: str, *, limit: int) -> None:
        if not isinstance(blocks, list):
            self.errors.append(_err("must be an array", pointer))
            return
        if len(blocks) > limit:
            self.errors.append(_err(f"no more than {limit} items allowed", pointer))
        for i, block in enumerate(blocks):
            self.block(block, f"{pointer}/{i}")


def validate_message_blocks(blocks: Any) -> list[str]:
    """Problems with a message's ``blocks`` (empty list when Slack would accept them)."""
    checker = _Checker()
    checker.blocks(blocks, "/blocks", limit=MESSAGE_BLOCK_LIMIT)
    return checker.errors


def validate_view(view: Any, *, allowed_types: frozenset[str]) -> list[str]:
    """Problems with a view object for ``views.open/push/update/publish``.

    ``allowed_types`` says which ``type`` the method accepts: ``views.open`` takes only a
    ``modal``, ``views.publish`` only a ``home``.
    """
    if not isinstance(view, dict):
        return [_err("must be an object", "/view")]
    checker = _Checker()
    kind = view.get("type")
    if kind not in allowed_types:
        checker.errors.append(_err(f"must be one of: {', '.join(sorted(allowed_types))}", "/view/type"))
    if kind == "modal":
        if view.get("title") is None:
            checker.errors.append(_err("missing required field: title", "/view"))
        else:
            checker.text_object(view["title"], "/view/title", max_len=MODAL_TEXT_LIMIT, plain_only=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                checker.text_object(view[key], f"/view/{key}", max_len=MODAL_TEXT_LIMIT, plain_only=True)
        blocks = view.get("blocks")
        if (
            isinstance(blocks, list)
            and view.get("submit") is None
            and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        ):
            checker.errors.append(_err("must provide submit when the view has input blocks", "/view/submit"))
    if "blocks" not in view:
        checker.errors.append(_err("missing required field: blocks", "/view"))
    else:
        checker.blocks(view["blocks"], "/view/blocks", limit=VIEW_BLOCK_LIMIT)
    for key, limit in (
        ("private_metadata", PRIVATE_METADATA_LIMIT),
        ("callback_id", CALLBACK_ID_LIMIT),
        ("external_id", EXTERNAL_ID_LIMIT),
    ):
        value = view.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            checker.errors.append(_err("must be a string", f"/view/{key}"))
        elif len(value) > limit:
            checker.errors.append(_err(f"must be less than {limit + 1} characters", f"/view/{key}"))
    return checker.errors
