"""The domain core: what the office decides about appeals, hearings and personal data.

No aiogram here (checked by import-linter in .ci/run): it returns what should be said and
the Telegram edge (handlers, keyboards, views, bot/telegram) says it.
"""
