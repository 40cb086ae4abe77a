"""The Telegram edge's views: HTML texts of the staff card and the daily digest."""
