from aiogram.fsm.state import State, StatesGroup


class SessionInput(StatesGroup):
    """A staff member owes a text for a session card's button (the data say which session or
    item, and for `create` which appeal goes on the new session)."""

    create = State()  # the /session line, from the appeal card's "new session"
    appeal = State()  # the number of an appeal to put on the agenda
    move = State()  # the new date and time (and place)
    decision = State()  # the decision on one agenda item
