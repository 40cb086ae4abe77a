from aiogram.fsm.state import State, StatesGroup, StatesGroupMeta

from bot.domain import form

# One state per step of the form, named after it ("NewAppeal:phone", as stored in fsm_states):
# built from the table, so a new step needs nothing here.
NewAppeal: type[StatesGroup] = StatesGroupMeta(
    "NewAppeal", (StatesGroup,), {"__module__": __name__, **{n: State() for n in form.NAMES}}
)


class AddInfo(StatesGroup):
    collecting = State()
