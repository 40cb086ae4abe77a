"""FSM states of the dialogues."""

from states.appeal import AddInfo, NewAppeal
from states.invest import NewProject, ProjectMessage, ProjectStaffInput
from states.onboarding import Onboarding
from states.sessions import SessionInput
from states.staff import StaffInput

__all__ = [
    "AddInfo",
    "NewAppeal",
    "NewProject",
    "Onboarding",
    "ProjectMessage",
    "ProjectStaffInput",
    "SessionInput",
    "StaffInput",
]
