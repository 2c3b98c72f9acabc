"""Forms of the import sources, the approval worklist and the paper programme (messages are
keys of the admin's catalogue, translated where shown)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Regexp, ValidationError

from catalogue.models import SourceKind
from .forms import REQUIRED, WholeNumberField, choices


class SourceForm(FlaskForm):
    name = StringField("imports.name", validators=[DataRequired(REQUIRED), Length(max=80, message="err.too_long")])
    kind = SelectField("imports.kind", choices=choices((k.value, f"imports.kind_{k.value}") for k in SourceKind))
    url = StringField("imports.url", validators=[DataRequired(REQUIRED), Length(max=500, message="err.too_long")])
    keywords = StringField("imports.keywords", validators=[Length(max=200, message="err.too_long")])
    city_id = SelectField("imports.city", coerce=int)
    provider_id = SelectField("imports.provider", coerce=int)  # 0: named after the source
    auto_approve = BooleanField("imports.auto_approve")
    interval_minutes = WholeNumberField("imports.interval", validators=[
        DataRequired(REQUIRED), NumberRange(5, 10080, "err.integer")])
    window_days = WholeNumberField("imports.window", validators=[
        DataRequired(REQUIRED), NumberRange(1, 120, "err.integer")])
    enabled = BooleanField("imports.enabled", default=True)

    def validate_url(self, field: StringField) -> None:
        value = (field.data or "").strip()
        if self.kind.data == SourceKind.LINKED_EVENTS.value and not value.startswith(("http://", "https://")):
            raise ValidationError("err.required")


class DecisionForm(FlaskForm):
    decision = HiddenField(validators=[Regexp("^(approve|reject)$")])


class PrintForm(FlaskForm):
    """A GET form: it downloads a file and changes nothing, so it carries no CSRF token."""

    week = StringField("print.week", validators=[DataRequired(REQUIRED),
                                                  Regexp(r"^\d{4}-W\d{1,2}$", message="print.err_week")])
    city = SelectField("print.city")
    lang = SelectField("print.lang")
