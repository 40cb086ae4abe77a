"""FSM states of the dialogues."""

from states.appeal import AddInfo, NewAppeal, Withdraw
from states.onboarding import Onboarding

__all__ = ["AddInfo", "NewAppeal", "Onboarding", "Withdraw"]
