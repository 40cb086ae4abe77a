"""Bot API methods about the bot, chats, members, topics, files, callbacks and updates."""

from __future__ import annotations

import re
from typing import Any

from .api_messages import ensure_reachable
from .errors import bad_request
from .models import ICON_COLORS, EmuChat, Topic
from .params import Params
from .world import World

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
    "can_pin_messages": True,
    "can_manage_topics": True,
}


# ---- bot, chats, members ----------------------------------------------------------------------


def get_me(world: World, params: Params) -> dict[str, Any]:
    return {
        **world.bot.json(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def get_chat(world: World, params: Params) -> dict[str, Any]:
    return world.api_chat(params.raw("chat_id")).full_info()


def member_status(world: World, chat: EmuChat, user_id: int) -> str:
    if chat.is_private:
        return "member" if user_id in (chat.id, world.bot.id) else "left"
    if user_id == chat.creator:
        return "creator"
    if user_id == world.bot.id or user_id in chat.admins:
        return "administrator"
    return "member" if user_id in chat.members else "left"


def member_json(world: World, chat: EmuChat, user_id: int) -> dict[str, Any]:
    user = world.bot if user_id == world.bot.id else world.users[user_id]
    status = member_status(world, chat, user_id)
    data: dict[str, Any] = {"status": status, "user": user.json()}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update(ADMIN_RIGHTS)
    return data


def get_chat_member(world: World, params: Params) -> dict[str, Any]:
    chat = world.api_chat(params.raw("chat_id"))
    user_id = params.required_int("user_id")
    if user_id != world.bot.id and user_id not in world.users:
        raise bad_request("PARTICIPANT_ID_INVALID")
    return member_json(world, chat, user_id)


def get_chat_administrators(world: World, params: Params) -> list[dict[str, Any]]:
    chat = world.api_chat(params.raw("chat_id"))
    if chat.is_private:
        raise bad_request("there are no administrators in the private chat")
    ids = sorted({world.bot.id, *chat.admins} | ({chat.creator} if chat.creator else set()))
    return [member_json(world, chat, user_id) for user_id in ids]


# ---- commands ---------------------------------------------------------------------------------


def commands_key(params: Params) -> tuple[str, str]:
    scope = params.json_value("scope") or {"type": "default"}
    scope_type = str(scope.get("type", "default"))
    # Chat-specific scopes get their chat (and user) in the key so they don't overwrite each other.
    for name in ("chat_id", "user_id"):
        if name in scope:
            scope_type += f":{scope[name]}"
    return scope_type, params.text("language_code") or ""


def set_my_commands(world: World, params: Params) -> bool:
    commands = params.json_value("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH" if commands else "commands is empty")
    for command in commands:
        if not _COMMAND_RE.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = commands_key(params)
    if commands:
        world.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
    else:
        world.commands.pop(key, None)
    return True


def get_my_commands(world: World, params: Params) -> list[dict[str, Any]]:
    return world.commands.get(commands_key(params), [])


def delete_my_commands(world: World, params: Params) -> bool:
    world.commands.pop(commands_key(params), None)
    return True


# ---- forum topics -----------------------------------------------------------------------------


def _forum(world: World, params: Params) -> EmuChat:
    chat = world.api_chat(params.raw("chat_id"))
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    return chat


def _topic(world: World, params: Params) -> tuple[EmuChat, Topic]:
    chat = _forum(world, params)
    topic = chat.topics.get(params.required_int("message_thread_id"))
    if topic is None or topic.deleted:
        raise bad_request("TOPIC_ID_INVALID")
    return chat, topic


def _service(world: World, chat: EmuChat, topic: Topic, content: dict[str, Any]) -> None:
    world.store_message(chat, world.bot.id, content, thread_id=topic.thread_id)
    world.events.publish({"type": "topic", "chat_id": chat.id, "topic": topic.summary()})


def create_forum_topic(world: World, params: Params) -> dict[str, Any]:
    chat = _forum(world, params)
    name = params.text("name") or ""
    if not name.strip():
        raise bad_request("TOPIC_TITLE_EMPTY")
    if len(name) > 128:
        raise bad_request("TOPIC_TITLE_INVALID")
    color = params.integer("icon_color", ICON_COLORS[0])
    if color not in ICON_COLORS:
        raise bad_request("TOPIC_COLOR_INVALID")
    topic = Topic(
        thread_id=chat.last_message_id + 1,
        name=name,
        icon_color=int(color or ICON_COLORS[0]),
        icon_custom_emoji_id=params.text("icon_custom_emoji_id"),
    )
    chat.topics[topic.thread_id] = topic
    created = {k: v for k, v in topic.json().items() if k != "message_thread_id"}
    _service(world, chat, topic, {"forum_topic_created": created})
    return topic.json()


def edit_forum_topic(world: World, params: Params) -> bool:
    chat, topic = _topic(world, params)
    changes: dict[str, Any] = {}
    name = params.text("name")
    if name is not None and name != topic.name:
        if len(name) > 128:
            raise bad_request("TOPIC_TITLE_INVALID")
        changes["name"] = topic.name = name
    emoji = params.raw("icon_custom_emoji_id")
    if emoji is not None and (emoji or None) != topic.icon_custom_emoji_id:
        topic.icon_custom_emoji_id = emoji or None
        changes["icon_custom_emoji_id"] = emoji
    if not changes:
        raise bad_request("TOPIC_NOT_MODIFIED")
    _service(world, chat, topic, {"forum_topic_edited": changes})
    return True


def _set_closed(world: World, params: Params, closed: bool) -> bool:
    chat, topic = _topic(world, params)
    if topic.closed == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    _service(world, chat, topic, {"forum_topic_closed" if closed else "forum_topic_reopened": {}})
    return True


def close_forum_topic(world: World, params: Params) -> bool:
    return _set_closed(world, params, True)


def reopen_forum_topic(world: World, params: Params) -> bool:
    return _set_closed(world, params, False)


def delete_topic(world: World, chat: EmuChat, topic: Topic) -> None:
    topic.deleted = True
    for message in chat.messages.values():
        if message.thread_id == topic.thread_id and not message.deleted:
            message.deleted = True
            world.publish("deleted", message)
    world.events.publish({"type": "topic", "chat_id": chat.id, "topic": topic.summary()})


def delete_forum_topic(world: World, params: Params) -> bool:
    chat, topic = _topic(world, params)
    delete_topic(world, chat, topic)
    return True


# ---- files, callbacks, reactions, actions -----------------------------------------------------


def get_file(world: World, params: Params) -> dict[str, Any]:
    stored = world.files.get(params.required_str("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.file_json()


def answer_callback_query(world: World, params: Params) -> bool:
    query_id = params.required_str("callback_query_id")
    if query_id not in world.callback_queries or query_id in world.callback_answers:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    answer = {
        "text": text,
        "show_alert": params.flag("show_alert"),
        "url": params.text("url"),
        "cache_time": params.integer("cache_time", 0),
    }
    world.callback_answers[query_id] = answer
    world.events.publish({"type": "callback_answer", "callback_query_id": query_id, **answer})
    world.changed.fire()
    return True


def set_message_reaction(world: World, params: Params) -> bool:
    chat = world.api_chat(params.raw("chat_id"))
    message = world.find_message(chat, params.required_int("message_id"))
    if message is None:
        raise bad_request("message to react not found")
    reaction = params.json_value("reaction") or []
    if not isinstance(reaction, list) or len(reaction) > 1:
        raise bad_request("REACTIONS_TOO_MANY")
    for item in reaction:
        if item.get("type") == "emoji" and not item.get("emoji"):
            raise bad_request("REACTION_INVALID")
    message.reaction = reaction
    world.publish("reaction", message)
    return True


def send_chat_action(world: World, params: Params) -> bool:
    chat = world.api_chat(params.raw("chat_id"))
    ensure_reachable(world, chat)
    action = params.text("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    world.events.publish({"type": "chat_action", "chat_id": chat.id, "action": action})
    return True


# ---- updates (webhooks are in webhook.py) -----------------------------------------------------


async def get_updates(world: World, params: Params) -> list[dict[str, Any]]:
    allowed = params.json_value("allowed_updates")
    return await world.updates.get(
        params.integer("offset"),
        params.integer("limit"),
        params.integer("timeout"),
        allowed if isinstance(allowed, list) else None,
    )


def accept(world: World, params: Params) -> bool:
    """Settings the emulator accepts and forgets (descriptions, menu button ...)."""
    return True


HANDLERS = {
    "getMe": get_me,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "createForumTopic": create_forum_topic,
    "editForumTopic": edit_forum_topic,
    "closeForumTopic": close_forum_topic,
    "reopenForumTopic": reopen_forum_topic,
    "deleteForumTopic": delete_forum_topic,
    "getFile": get_file,
    "answerCallbackQuery": answer_callback_query,
    "setMessageReaction": set_message_reaction,
    "sendChatAction": send_chat_action,
    "getUpdates": get_updates,
    "setMyDescription": accept,
    "setMyShortDescription": accept,
    "setMyName": accept,
    "setChatMenuButton": accept,
}
