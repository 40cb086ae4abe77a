"""The Telegram edge: inbox, unit of work per update, outbox and its sender, cluster roles."""
