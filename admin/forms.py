"""Flask-WTF forms. Every validation message is a key of the admin's message catalogue
(``messages/<lang>.toml``), translated where it is shown, next to its field."""
from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields import DateTimeLocalField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from catalogue.categories import CATEGORIES
from catalogue.models import LANGUAGES, SessionKind
from catalogue.timeutil import to_utc

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
REQUIRED = "err.required"
T = TypeVar("T")


def validated(value: T | None) -> T:
    """A required field's value once ``validate_on_submit`` passed (``InputRequired`` ruled out
    None; the field types cannot say so)."""
    assert value is not None
    return value


def choices(pairs: Any) -> list[Any]:
    """(value, label) pairs as WTForms wants them: ``SelectChoice`` from 3.3 on, tuples before."""
    try:
        from wtforms import SelectChoice  # type: ignore[attr-defined]  # new in 3.3, not in the stubs
    except ImportError:  # pragma: no cover - older WTForms
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"  # a plain shape check; the login itself decides


class Unreadable:
    """A field whose input cannot be read says so with a key of the catalogue (``error_key``),
    translated next to the field, rather than with the library's English."""

    error_key = "err.required"

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)  # type: ignore[misc]  # the field class after it
        except ValueError as exc:
            raise ValueError(self.error_key) from exc


class LocalDateTimeField(Unreadable, DateTimeLocalField):
    """A ``datetime-local`` input read as Europe/Helsinki wall-clock time."""

    error_key = "err.datetime"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", DATETIME_FORMAT)
        super().__init__(*args, **kwargs)


class WholeNumberField(Unreadable, IntegerField):
    error_key = "err.integer"


class DayField(Unreadable, DateField):
    error_key = "err.day"


class ClockField(Unreadable, TimeField):
    error_key = "err.time"


class LoginForm(FlaskForm):
    email = EmailField("auth.email", validators=[DataRequired(REQUIRED), Regexp(EMAIL_RE, message="err.email")])
    password = PasswordField("auth.password", validators=[DataRequired(REQUIRED)])


class LanguageForm(FlaskForm):
    lang = SelectField("lang.choose", choices=choices((lang, lang) for lang in LANGUAGES))
    next = HiddenField()


class EventForm(FlaskForm):
    """One event's texts. Only Finnish is required: the phone falls back to Finnish."""

    provider_id = SelectField("event.provider", coerce=int, validators=[InputRequired(REQUIRED)])
    city_id = SelectField("event.city", coerce=int)  # 0: by phone, for callers everywhere
    # Exactly the catalogue's list; anything else posted is refused next to the field.
    category = SelectField("event.category", choices=choices((c, f"category.{c}") for c in CATEGORIES),
                           validate_choice=False, validators=[AnyOf(CATEGORIES, message="err.category")])
    title_fi = StringField("event.title_fi", validators=[DataRequired(REQUIRED), Length(max=200, message="err.too_long")])
    title_sv = StringField("event.title_sv", validators=[Length(max=200, message="err.too_long")])
    title_en = StringField("event.title_en", validators=[Length(max=200, message="err.too_long")])
    short_fi = StringField("event.short_fi", validators=[Length(max=400, message="err.too_long")])
    short_sv = StringField("event.short_sv", validators=[Length(max=400, message="err.too_long")])
    short_en = StringField("event.short_en", validators=[Length(max=400, message="err.too_long")])
    description_fi = TextAreaField("event.description_fi")
    description_sv = TextAreaField("event.description_sv")
    description_en = TextAreaField("event.description_en")
    price_text_fi = StringField("event.price_fi", validators=[Length(max=120, message="err.too_long")])
    price_text_sv = StringField("event.price_sv", validators=[Length(max=120, message="err.too_long")])
    price_text_en = StringField("event.price_en", validators=[Length(max=120, message="err.too_long")])
    venue = StringField("event.venue", validators=[Length(max=200, message="err.too_long")])
    address = StringField("event.address", validators=[Length(max=200, message="err.too_long")])
    # Said to Swedish and English callers; empty: the Finnish name (a proper name) is said.
    venue_sv = StringField("event.venue", validators=[Length(max=200, message="err.too_long")])
    venue_en = StringField("event.venue", validators=[Length(max=200, message="err.too_long")])
    address_sv = StringField("event.address", validators=[Length(max=200, message="err.too_long")])
    address_en = StringField("event.address", validators=[Length(max=200, message="err.too_long")])

    TEXT_FIELDS = ("category", "title_fi", "title_sv", "title_en", "short_fi", "short_sv",
                   "short_en", "description_fi", "description_sv", "description_en",
                   "price_text_fi", "price_text_sv", "price_text_en", "venue", "address",
                   "venue_sv", "venue_en", "address_sv", "address_en")

    def validate_venue(self, field: StringField) -> None:
        if self.city_id.data and not (field.data or "").strip():
            raise ValidationError("err.venue_needed")


class SessionFields(FlaskForm):
    """What a session has besides its start: length, kind, capacity, registration window."""

    minutes = WholeNumberField("session.minutes", default=60, validators=[
        InputRequired(REQUIRED), NumberRange(5, 600, "err.minutes")])
    kind = SelectField("session.kind", choices=choices((k.value, f"kind.{k.value}") for k in SessionKind))
    capacity = WholeNumberField("session.capacity", validators=[
        Optional(), NumberRange(0, 10000, "err.capacity")])
    registration_opens_at = LocalDateTimeField("session.opens", validators=[Optional()])
    registration_closes_at = LocalDateTimeField("session.closes", validators=[Optional()])
    may_be_recorded = BooleanField("live.may_be_recorded")

    # Set by the view: whether the event has a city (needed for in-person sessions).
    event_has_city: bool = True
    starts_local: datetime | None = None

    def validate_kind(self, field: SelectField) -> None:
        if field.data == SessionKind.IN_PERSON.value and not self.event_has_city:
            raise ValidationError("err.in_person_needs_city")

    def validate_registration_closes_at(self, field: LocalDateTimeField) -> None:
        opens = self.registration_opens_at.data
        if field.data and opens and field.data <= opens:
            raise ValidationError("err.closes_before_opens")
        start = self._start()
        if field.data and start and field.data > start:
            raise ValidationError("err.closes_after_start")

    def validate_registration_opens_at(self, field: LocalDateTimeField) -> None:
        start = self._start()
        if field.data and start and field.data >= start:
            raise ValidationError("err.opens_after_start")

    def _start(self) -> datetime | None:
        return self.starts_local


class NewSessionForm(SessionFields):
    starts_at = LocalDateTimeField("session.starts_at", validators=[InputRequired(REQUIRED)])
    repeat_weeks = WholeNumberField("session.repeat_weeks", default=1, validators=[
        InputRequired(REQUIRED), NumberRange(1, 52, "err.repeat_weeks")])

    now_local: datetime | None = None  # set by the view

    def _start(self) -> datetime | None:
        return self.starts_at.data

    def validate_starts_at(self, field: LocalDateTimeField) -> None:
        if field.data and self.now_local and field.data <= self.now_local:
            raise ValidationError("err.in_past")


class EditSessionForm(SessionFields):
    confirmed_now: int = 0  # set by the view

    def validate_capacity(self, field: WholeNumberField) -> None:
        if field.data is not None and field.data < self.confirmed_now:
            raise ValidationError("err.capacity_below_confirmed")


class MoveSessionForm(FlaskForm):
    starts_at = LocalDateTimeField("session.new_start", validators=[InputRequired(REQUIRED)])
    minutes = WholeNumberField("session.minutes", validators=[
        InputRequired(REQUIRED), NumberRange(5, 600, "err.minutes")])
    # Asked only when the session has a registration window: move it too, or keep its times.
    window = RadioField("session.move_window", default="move", choices=choices(
        [("move", "session.window_move"), ("keep", "session.window_keep")]))
    confirm = HiddenField(default="")

    now_local: datetime | None = None
    # Set by the view: the session's start and registration window, Helsinki time.
    old_start: datetime | None = None
    window_local: tuple[datetime | None, datetime | None] = (None, None)

    def validate_starts_at(self, field: LocalDateTimeField) -> None:
        if field.data and self.now_local and field.data <= self.now_local:
            raise ValidationError("err.in_past")

    def validate_window(self, field: RadioField) -> None:
        start = self.starts_at.data
        if field.data != "keep" or start is None:
            return
        opens, closes = self.window_local
        if (closes and closes > start) or (opens and opens >= start):
            raise ValidationError("err.window_after_new_start")

    def new_window(self) -> tuple[datetime | None, datetime | None]:
        """The window as it will be (UTC, as stored), for the confirmation to show."""
        opens, closes = self.window_local
        if self.window.data != "keep" and self.old_start and self.starts_at.data:
            shift = self.starts_at.data - self.old_start
            opens, closes = (opens + shift if opens else None, closes + shift if closes else None)
        return (to_utc(opens) if opens else None, to_utc(closes) if closes else None)


class ConfirmForm(FlaskForm):
    """A button that only says yes; the CSRF token is the point."""


class RegisterCallerForm(FlaskForm):
    phone = StringField("reg.phone", validators=[DataRequired(REQUIRED), Length(max=40, message="err.too_long")])
    name = StringField("reg.name", validators=[Length(max=120, message="err.too_long")])

    phone_e164: str | None = None

    def validate_phone(self, field: StringField) -> None:
        from catalogue.callers import normalise

        self.phone_e164 = normalise(field.data)
        if self.phone_e164 is None:
            raise ValidationError("err.phone")


class AttendanceForm(FlaskForm):
    attended = SelectField("reg.attended", choices=choices([("yes", "reg.attended_yes"),
                                                            ("no", "reg.attended_no"),
                                                            ("unknown", "reg.attended_unknown")]))


class UploadForm(FlaskForm):
    event_id = SelectField("rec.event", coerce=int, validators=[InputRequired(REQUIRED)])
    lang = SelectField("rec.lang", choices=choices((lang, f"lang.{lang}") for lang in LANGUAGES))
    audio = FileField("rec.file", validators=[FileRequired(REQUIRED)])


class ReviewForm(FlaskForm):
    decision = SelectField("rec.decision", choices=choices([("approve", "rec.approve"), ("reject", "rec.reject")]))
    reason = TextAreaField("rec.reason", validators=[Length(max=2000, message="err.too_long")])

    def validate_reason(self, field: TextAreaField) -> None:
        if self.decision.data == "reject" and not (field.data or "").strip():
            raise ValidationError("err.reason_needed")


class CallbackDoneForm(FlaskForm):
    note = TextAreaField("work.note", validators=[Length(max=2000, message="err.too_long")])
    back = HiddenField(default="")


class CallerNameForm(FlaskForm):
    name = StringField("caller.name", validators=[Length(max=120, message="err.too_long")])


class AuditFilterForm(FlaskForm):
    """The log's filters, read from the query string (a GET form: nothing to protect)."""

    class Meta:
        csrf = False

    type = SelectField("audit.object_type", validate_choice=False)  # the view keeps known ones
    channel = SelectField("audit.channel", validate_choice=False)
    actor = StringField("audit.actor", validators=[Length(max=200, message="err.too_long")])
    action = StringField("audit.action", validators=[Length(max=40, message="err.too_long")])
    since = DayField("audit.since", validators=[Optional()])
    until = DayField("audit.until", validators=[Optional()])
