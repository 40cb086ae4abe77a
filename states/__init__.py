"""FSM states of the dialogues."""

from states.onboarding import Onboarding

__all__ = ["Onboarding"]
