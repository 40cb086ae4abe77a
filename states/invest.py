from aiogram.fsm.state import State, StatesGroup, StatesGroupMeta

from bot.domain import invest_form

# One state per step of the investor's dialogue ("NewProject:amount"), built from the table.
NewProject: type[StatesGroup] = StatesGroupMeta(
    "NewProject",
    (StatesGroup,),
    {"__module__": __name__, **{name: State() for name in invest_form.NAMES}},
)


class ProjectMessage(StatesGroup):
    """The investor writes to the office about one of their projects."""

    writing = State()


class ProjectStaffInput(StatesGroup):
    """A staff member owes the agreement (date, number, amount) or the reason of a refusal."""

    text = State()
