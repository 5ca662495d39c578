"""Sign-in form."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class NewPasswordForm(FlaskForm):
    """A new password, twice (the set-password link's page)."""

    class Meta:
        csrf = False  # CSRFProtect checks every post

    password = PasswordField("New password", render_kw={"autocomplete": "new-password", "maxlength": 128})
    confirm = PasswordField("New password again", render_kw={"autocomplete": "new-password", "maxlength": 128})


class ChangePasswordForm(NewPasswordForm):
    """The signed-in user's own password: the current one, and the new one twice."""

    current = PasswordField("Current password", render_kw={"autocomplete": "current-password", "maxlength": 200})
