"""Bot API methods that create, copy, edit or delete messages."""

from __future__ import annotations

from typing import Any

from .errors import NOT_MODIFIED, bad_request, forbidden
from .html_text import HtmlError, parse_html
from .markup import inline_markup, validate_reply_markup
from .models import CAPTIONLESS_KINDS, EmuChat, StoredMessage
from .params import Params
from .world import World

MAX_TEXT = 4096
MAX_CAPTION = 1024
MEDIA_GROUP_SIZE = range(2, 11)
_PAST = {"copy": "copied", "forward": "forwarded"}


# ---- shared pieces ----------------------------------------------------------------------------


def ensure_reachable(world: World, chat: EmuChat) -> None:
    user = chat.user
    if user is None:
        return
    if user.blocked_bot:
        raise forbidden("bot was blocked by the user")
    if not user.started:
        raise forbidden("bot can't initiate conversation with a user")


def send_target(world: World, params: Params) -> tuple[EmuChat, int | None, int | None]:
    """Chat, thread and replied message id of a send call, checked like Telegram does."""
    chat = world.api_chat(params.raw("chat_id"))
    ensure_reachable(world, chat)
    thread_id = world.check_thread(chat, params.integer("message_thread_id"))
    reply = params.json_value("reply_parameters") or {}
    reply_to = reply.get("message_id") or params.integer("reply_to_message_id")
    allow_missing = bool(
        reply.get("allow_sending_without_reply") or params.flag("allow_sending_without_reply")
    )
    if not reply_to:
        return chat, thread_id, None
    target = world.find_message(chat, int(reply_to))
    if target is None:
        if allow_missing:
            return chat, thread_id, None
        raise bad_request("message to be replied not found")
    if thread_id is None and chat.is_forum:
        thread_id = target.thread_id
    return chat, thread_id, target.message_id


def formatted(
    params: Params, text_field: str, entities_field: str
) -> tuple[str | None, list[dict[str, Any]], str | None]:
    """(plain text, entities, raw HTML source or None) of a text or caption parameter."""
    raw = params.text(text_field)
    if raw is None:
        return None, [], None
    parse_mode = (params.text("parse_mode") or "").lower()
    if parse_mode == "html":
        try:
            plain, entities = parse_html(raw)
        except HtmlError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        return plain, entities, raw
    return raw, params.json_value(entities_field) or [], None


def text_content(params: Params) -> tuple[dict[str, Any], str | None]:
    text, entities, html = formatted(params, "text", "entities")
    if text is None or not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    return content, html


def caption_content(params: Params) -> tuple[dict[str, Any], str | None]:
    caption, entities, html = formatted(params, "caption", "caption_entities")
    if caption is None:
        return {}, None
    if len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    content: dict[str, Any] = {"caption": caption}
    if entities:
        content["caption_entities"] = entities
    return content, html


def resolve_media(world: World, params: Params, kind: str, reference: Any) -> dict[str, Any]:
    """The content field (``photo`` list or ``document`` object) for an upload or a file_id."""
    if not isinstance(reference, str) or not reference:
        raise bad_request(f"there is no {kind} in the request")
    upload = params.upload(reference)
    if upload is not None:
        if not upload.data:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            return {"photo": world.files.add_photo(upload.data)}
        return {"document": world.files.add_document(upload.data, upload.filename, None)}
    if reference.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")
    stored = world.files.get(reference)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
    if kind == "photo":
        return {"photo": stored.photo_sizes}
    return {
        "document": {
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
    }


def _bot_message(
    world: World,
    chat: EmuChat,
    content: dict[str, Any],
    thread_id: int | None,
    reply_to: int | None,
    **extra: Any,
) -> StoredMessage:
    return world.store_message(
        chat, world.bot.id, content, thread_id=thread_id, reply_to=reply_to, **extra
    )


# ---- sending ----------------------------------------------------------------------------------


def send_message(world: World, params: Params) -> dict[str, Any]:
    chat, thread_id, reply_to = send_target(world, params)
    content, html = text_content(params)
    markup = validate_reply_markup(params.json_value("reply_markup"))
    message = _bot_message(
        world, chat, content, thread_id, reply_to, html=html, reply_markup=markup
    )
    return world.message_json(message)


def _send_media(world: World, params: Params, kind: str) -> dict[str, Any]:
    chat, thread_id, reply_to = send_target(world, params)
    caption, caption_html = caption_content(params)
    markup = validate_reply_markup(params.json_value("reply_markup"))
    media = resolve_media(world, params, kind, params.raw(kind))
    message = _bot_message(
        world,
        chat,
        {**media, **caption},
        thread_id,
        reply_to,
        caption_html=caption_html,
        reply_markup=markup,
    )
    return world.message_json(message)


def send_photo(world: World, params: Params) -> dict[str, Any]:
    return _send_media(world, params, "photo")


def send_document(world: World, params: Params) -> dict[str, Any]:
    return _send_media(world, params, "document")


def send_media_group(world: World, params: Params) -> list[dict[str, Any]]:
    chat, thread_id, reply_to = send_target(world, params)
    items = params.json_value("media")
    if not isinstance(items, list) or len(items) not in MEDIA_GROUP_SIZE:
        raise bad_request("wrong number of media in the media group: must be 2-10 items")
    prepared = [_media_group_item(world, params, item) for item in items]
    group_id = world.new_media_group_id()
    messages = [
        _bot_message(
            world, chat, content, thread_id, reply_to, caption_html=html, media_group_id=group_id
        )
        for content, html in prepared
    ]
    return [world.message_json(message) for message in messages]


def _media_group_item(world: World, params: Params, item: Any) -> tuple[dict[str, Any], str | None]:
    if not isinstance(item, dict) or item.get("type") not in ("photo", "document"):
        raise bad_request("the emulator supports only photo and document media groups")
    item_params = Params(
        {k: item.get(k) for k in ("caption", "parse_mode", "caption_entities")}, params.uploads
    )
    caption, html = caption_content(item_params)
    media = resolve_media(world, params, item["type"], item.get("media"))
    return {**media, **caption}, html


def copy_message(world: World, params: Params) -> dict[str, Any]:
    chat, thread_id, reply_to = send_target(world, params)
    source = _source_message(world, params, "copy")
    content = {k: v for k, v in source.content.items() if k not in ("caption", "caption_entities")}
    caption_html = source.caption_html
    if source.kind in CAPTIONLESS_KINDS:
        caption_html = None
    elif "caption" in params:
        caption, caption_html = caption_content(params)
        content.update(caption)
    elif "caption" in source.content:
        content["caption"] = source.content["caption"]
        if "caption_entities" in source.content:
            content["caption_entities"] = source.content["caption_entities"]
    markup = validate_reply_markup(params.json_value("reply_markup"))
    message = _bot_message(
        world,
        chat,
        content,
        thread_id,
        reply_to,
        html=source.html,
        caption_html=caption_html,
        reply_markup=markup,
    )
    return {"message_id": message.message_id}


def forward_message(world: World, params: Params) -> dict[str, Any]:
    chat = world.api_chat(params.raw("chat_id"))
    ensure_reachable(world, chat)
    thread_id = world.check_thread(chat, params.integer("message_thread_id"))
    source = _source_message(world, params, "forward")
    origin = {"type": "user", "date": source.date, "sender_user": world.sender_json(source)}
    message = _bot_message(
        world,
        chat,
        dict(source.content),
        thread_id,
        None,
        html=source.html,
        caption_html=source.caption_html,
        forward_origin=origin,
    )
    return world.message_json(message)


def _source_message(world: World, params: Params, action: str) -> StoredMessage:
    source_chat = world.api_chat(params.raw("from_chat_id"))
    source = world.find_message(source_chat, params.required_int("message_id"))
    if source is None:
        raise bad_request(f"message to {action} not found")
    if source.is_service:
        raise bad_request(f"message can't be {_PAST[action]}")
    return source


# ---- editing and deleting ---------------------------------------------------------------------


def _editable(world: World, params: Params) -> StoredMessage:
    if "inline_message_id" in params:
        raise bad_request("inline messages are not emulated")
    chat = world.api_chat(params.raw("chat_id"))
    message = world.find_message(chat, params.required_int("message_id"))
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def _apply_edit(
    world: World,
    message: StoredMessage,
    content: dict[str, Any],
    markup: dict[str, Any] | None,
    **extra: Any,
) -> dict[str, Any]:
    # Editing without reply_markup removes an inline keyboard, as in Telegram.
    old_inline = inline_markup(message.reply_markup)
    new_inline = inline_markup(markup)
    if content == message.content and new_inline == old_inline:
        raise bad_request(NOT_MODIFIED)
    message.content = content
    if old_inline is not None or new_inline is not None:
        message.reply_markup = new_inline
    for name, value in extra.items():
        setattr(message, name, value)
    message.edit_date = world.now()
    world.publish("edited", message)
    return world.message_json(message)


def edit_message_text(world: World, params: Params) -> dict[str, Any]:
    message = _editable(world, params)
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    content, html = text_content(params)
    markup = validate_reply_markup(params.json_value("reply_markup"))
    return _apply_edit(world, message, content, markup, html=html)


def edit_message_caption(world: World, params: Params) -> dict[str, Any]:
    message = _editable(world, params)
    if message.kind not in ("photo", "document"):
        raise bad_request("there is no caption in the message to edit")
    caption, caption_html = caption_content(params)
    media = {k: v for k, v in message.content.items() if k not in ("caption", "caption_entities")}
    markup = validate_reply_markup(params.json_value("reply_markup"))
    return _apply_edit(world, message, {**media, **caption}, markup, caption_html=caption_html)


def edit_message_reply_markup(world: World, params: Params) -> dict[str, Any]:
    message = _editable(world, params)
    markup = validate_reply_markup(params.json_value("reply_markup"))
    return _apply_edit(world, message, dict(message.content), markup)


def delete_message(world: World, params: Params) -> bool:
    chat = world.api_chat(params.raw("chat_id"))
    _delete(world, chat, params.required_int("message_id"))
    return True


def delete_messages(world: World, params: Params) -> bool:
    chat = world.api_chat(params.raw("chat_id"))
    ids = params.json_value("message_ids") or []
    for message_id in ids:
        message = world.find_message(chat, int(message_id))
        if message is not None:
            _delete(world, chat, message.message_id)
    return True


def _delete(world: World, chat: EmuChat, message_id: int) -> None:
    message = world.find_message(chat, message_id)
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    world.publish("deleted", message)


HANDLERS = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "sendMediaGroup": send_media_group,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "deleteMessages": delete_messages,
}
