from aiogram.fsm.state import State, StatesGroup


class StaffInput(StatesGroup):
    """A staff member owes a text for a card action (question, answer, body, reason, date)."""

    text = State()
