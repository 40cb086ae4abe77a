"""The long-lived objects handlers use, as one typed object (workflow data key "services").

Built once by the composition root (bot/app.py); a handler asks for ``services`` and reads
attributes, so a typo is a type error, not a missing key at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.calendar import WorkCalendar
from bot.domain.casework import CaseWork
from bot.domain.hearings import Hearings
from bot.domain.sessions import Sessions
from bot.i18n import I18n, Translator
from bot.telegram.project_topics import ProjectTopics
from bot.telegram.relay import Relay
from bot.telegram.staff import StaffDirectory
from bot.telegram.topics import TopicService


@dataclass(frozen=True, kw_only=True)
class Services:
    i18n: I18n
    # Staff texts are in one language (STAFF_LANGUAGE), whoever the owner is.
    staff_t: Translator
    calendar: WorkCalendar
    # Every "now" of the handlers comes from here, so tests can move time.
    clock: Callable[[], datetime]
    topics: TopicService
    relay: Relay
    casework: CaseWork
    hearings: Hearings
    sessions: Sessions
    staff_directory: StaffDirectory
    # Working days an appeal has for an answer (APPEAL_TERM_DAYS): the receipt's due date.
    term_days: int
    # How long personal data is kept after an appeal is closed (the privacy texts say it).
    retention_years: int
    # Investment projects' topics and cards in the operator group, and their messages.
    projects: ProjectTopics
