"""The forms of the users pages and of the one-time password link; messages are catalogue keys."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from catalogue.models import UserRole
from .forms import EMAIL_RE, REQUIRED, choices
from .users import MIN_PASSWORD


class RoleFields(FlaskForm):
    role = SelectField("users.role", choices=choices((r.value, f"role.{r.value}") for r in UserRole),
                       validators=[DataRequired(REQUIRED)])
    provider_id = SelectField("users.provider", coerce=int)  # 0: none (staff)

    def validate_provider_id(self, field: SelectField) -> None:
        from wtforms.validators import ValidationError

        if self.role.data == UserRole.PROVIDER.value and not field.data:
            raise ValidationError("users.err.provider_needed")


class NewUserForm(RoleFields):
    email = EmailField("auth.email", validators=[DataRequired(REQUIRED), Length(max=200, message="err.too_long"),
                                                  Regexp(EMAIL_RE, message="err.email")])


class SetPasswordForm(FlaskForm):
    password = PasswordField("users.new_password", validators=[
        DataRequired(REQUIRED), Length(min=MIN_PASSWORD, max=200, message="users.err.password_short")])
    again = PasswordField("users.password_again", validators=[
        DataRequired(REQUIRED), EqualTo("password", message="users.err.password_differs")])
