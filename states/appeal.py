from aiogram.fsm.state import State, StatesGroup


class NewAppeal(StatesGroup):
    consent = State()
    profile = State()
    full_name = State()
    applicant_kind = State()
    iin_bin = State()
    company = State()
    phone = State()
    appeal_type = State()
    category = State()
    locality = State()
    locality_other = State()
    body = State()
    description = State()
    attachments = State()
    confidentiality = State()
    summary = State()


class AddInfo(StatesGroup):
    collecting = State()
