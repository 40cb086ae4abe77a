"""setWebhook, deleteWebhook, getWebhookInfo: the webhook settings Telegram keeps per bot.

The POSTing itself is ``delivery.py``; these methods only change what it reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import bad_request
from .params import Params

if TYPE_CHECKING:
    from .world import World

DEFAULT_MAX_CONNECTIONS = 40
MAX_CONNECTIONS = 100
MAX_SECRET_LENGTH = 256
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    last_error_date: int | None = None
    last_error_message: str | None = None


def check_url(url: str) -> str:
    """Telegram wants HTTPS; the emulator also takes plain http so tests need no certificate."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if not parts.hostname:
        raise bad_request("invalid webhook URL specified")
    return url


def check_secret(secret: str | None) -> str | None:
    if secret is None:
        return None
    if len(secret) > MAX_SECRET_LENGTH:
        raise bad_request("secret token is too long")
    if not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    return secret


def _max_connections(params: Params) -> int:
    """The Bot API server clamps an out-of-range value to 1-100 instead of refusing it."""
    requested = params.integer("max_connections")
    if requested is None:
        return DEFAULT_MAX_CONNECTIONS
    return min(max(requested, 1), MAX_CONNECTIONS)


def set_webhook(world: World, params: Params) -> bool:
    url = params.text("url") or ""
    if not url:
        return delete_webhook(world, params)
    config = WebhookConfig(
        url=check_url(url),
        secret_token=check_secret(params.text("secret_token")),
        max_connections=_max_connections(params),
    )
    queue = world.updates
    previous = queue.webhook
    if previous is not None and previous.url == config.url:
        # Same address: the delivery history (last error) is still about it.
        config.last_error_date = previous.last_error_date
        config.last_error_message = previous.last_error_message
    allowed = params.json_value("allowed_updates")
    queue.set_allowed(allowed if isinstance(allowed, list) else None)
    if params.flag("drop_pending_updates"):
        queue.drop_pending()
    queue.set_webhook(config)
    return True


def delete_webhook(world: World, params: Params) -> bool:
    queue = world.updates
    if params.flag("drop_pending_updates"):
        queue.drop_pending()
    queue.set_webhook(None)
    return True


def get_webhook_info(world: World, params: Params) -> dict[str, Any]:
    return webhook_info(world)


def webhook_info(world: World) -> dict[str, Any]:
    """Telegram's WebhookInfo; pending_update_count also counts what getUpdates would get."""
    queue = world.updates
    config = queue.webhook
    info: dict[str, Any] = {
        "url": config.url if config else "",
        "has_custom_certificate": False,
        "pending_update_count": len(queue.deliverable()),
    }
    if config is None:
        return info
    info["max_connections"] = config.max_connections
    if queue.allowed is not None:
        info["allowed_updates"] = sorted(queue.allowed)
    if config.last_error_date is not None:
        info["last_error_date"] = config.last_error_date
        info["last_error_message"] = config.last_error_message
    return info


HANDLERS = {
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}
