"""The one inline-edit flow: read view → form → save (422 keeps the input, 409 per field) → read view.

Every click-to-edit thing is an `Entry`: what it loads, its form, the service that saves it and where it is
shown. `register()` gives an entry its routes; the flow below is the same for all of them:

- GET  base        the read view (Cancel)
- GET  base/edit   the form, carrying what it read (a fingerprint of every field it shows)
- POST base        save: only the fields the user changed are applied, and only when none of them was changed
                   by someone else since the form was read; otherwise 409 with the conflict view (per field:
                   now saved / your input). Saving from the conflict view applies the user's input knowingly.
                   A post without its read state is refused with 409 and never applied.
- GET  new, POST collection   (entries that can create) the empty form, and create.

htmx gets fragments (the entry's blocks, plus out-of-band parts); a plain form post gets the whole page with
the form open (422/409) or a redirect after saving.

Keyboard and focus come with the flow: every form it renders carries its key (`InlineForm.inline_key`, written by
the `form_status` macro as `data-inline-key`), and every conflict row names its field. static/portal.js reads that
markup alone: focus to the first field (the first invalid one after 422, the first conflicting one after 409), back
to what opened the form after save or cancel (else `#edit-<key>`), Escape cancels, and leaving changed input asks
first. Forms are opened by GET `<rule>/edit` or `<new_rule>` ending in `/new`, which is how the script tells an
opener from other requests.
"""
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass

from flask import abort, request
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, TextAreaField

from portal.auth import role_required
from portal.domain.validation import ValidationFailed
from portal.extensions import db
from portal.services.unique_races import once_more_on_unique_race
from portal.web.render import done, render

NOT_FIELDS = ("csrf_token", "read_state")
MISSING_READ_STATE = ("This form did not say what it showed when it was opened, so nothing was saved. "
                      "The values saved now are below beside yours; save again to apply yours.")


class InlineForm(FlaskForm):
    """A click-to-edit form: its fields, what it read (`read_state`), and where the rules' errors go.

    `FIELD_FOR_ERROR` maps a rule's field name (the API's spelling) to the form field that shows its message;
    messages for other names go to the top of the form.
    """

    read_state = HiddenField()
    FIELD_FOR_ERROR = {}
    inline_key = ""  # the page's name for the thing while its form is open (set by the flow, shown by form_status)

    def editable_fields(self):
        """The fields the user edits (not the CSRF token or the read state)."""
        return [field for field in self if field.short_name not in NOT_FIELDS]

    def fingerprints(self):
        """Each field's value in a canonical text form, so that what was read and what was sent compare."""
        return {field.short_name: fingerprint(field) for field in self.editable_fields()}

    def remember_read(self, fingerprints=None):
        """Carry what this form shows (or the given fingerprints) in the read state."""
        self.read_state.data = read_state_of(fingerprints if fingerprints is not None else self.fingerprints())

    def read(self):
        """What the form said it read, or None when the post did not carry it (or it is not ours)."""
        try:
            state = json.loads(self.read_state.data or "")
        except (ValueError, RecursionError):
            return None
        if not isinstance(state, dict) or not all(isinstance(v, str) for v in state.values()):
            return None
        return state

    def add_errors(self, errors):
        """Show the rules' messages at the fields they belong to."""
        for api_field, message in errors.items():
            name = self.FIELD_FOR_ERROR.get(api_field)
            target = self[name] if name and name in self else None
            if target is None:
                self.form_errors.append(message)
            else:
                target.errors = [*target.errors, message] if isinstance(target.errors, list) else [message]


def read_state_of(fingerprints):
    """The read state a form carries: {field name: fingerprint} as compact JSON."""
    return json.dumps(fingerprints, sort_keys=True, separators=(",", ":"))


def text_fingerprint(text):
    """A multi-line text as canonical text: LF line ends (browsers send CR LF), no trailing spaces, no blank lines at
    either end; blank lines and indentation inside count (they are part of a message body)."""
    return "\n".join(line.rstrip() for line in str(text or "").splitlines()).strip("\n")


def fingerprint(field):
    """A field's value as canonical text: trimmed; a multi-line text as its non-empty lines."""
    data = field.data
    if isinstance(field, BooleanField):
        return "on" if data else ""
    if isinstance(field, SelectMultipleField):  # a set of ticks: the order they are sent in does not count
        return "\n".join(sorted(str(value) for value in (data or [])))
    if isinstance(field, TextAreaField):
        return text_fingerprint(data)
    return "" if data is None else str(data).strip()


def display(field):
    """A field's value as the conflict view shows it."""
    data = field.data
    if isinstance(field, BooleanField):
        return "yes" if data else "no"
    choices = dict((str(value), label) for value, label, *_ in getattr(field, "choices", None) or []) \
        if hasattr(field, "choices") and not callable(getattr(field, "choices")) else {}
    if isinstance(field, SelectMultipleField):
        return ", ".join(choices.get(str(value), str(value)) for value in (data or []))
    text = fingerprint(field).replace("\n", ", ")
    return choices.get(text, text) if text else ""


@dataclass
class Conflict:
    """One field that someone else changed while the user was editing it (`field`: its input's name, for focus)."""

    label: str
    theirs: str
    mine: str
    field: str = ""


class Inline(ABC):
    """What every inline thing has: a name, where its blocks live, its form, and who may change it."""

    name = ""  # the endpoint suffix: <blueprint>.<name>, <name>_edit, <name>_save, <name>_new, <name>_create
    template = ""  # where its blocks live
    form_block = "form"
    page_template = ""  # the whole page it sits on (no-JS and full-page answers)
    role = "manager"  # who may change it

    @abstractmethod
    def form_class(self, subject):
        """The form class for this thing (`subject` is None for a new one)."""

    @abstractmethod
    def done_url(self, subject):
        """Where a plain form post goes after saving."""

    def setup_form(self, form, subject):
        """Fill choices that depend on the organization."""
        return form

    def prefix(self, subject):
        """A prefix for the form's field names, where an edit form and a new form share a page."""
        return ""

    def make_form(self, subject, formdata=None, data=None):
        form = self.form_class(subject)(formdata=formdata, data=data, prefix=self.prefix(subject))
        form.inline_key = self.key(subject) if subject is not None else self.new_key()
        return self.setup_form(form, subject)


class Entry(Inline):
    """One kind of click-to-edit thing: what it loads, its form, the service that saves it, where it is shown."""

    read_block = "read"
    read_role = "viewer"  # who may see its read view

    @abstractmethod
    def load(self, for_update=False, **view_args):
        """The thing being edited, inside the user's organization (404 otherwise); locked for a save."""

    @abstractmethod
    def initial(self, subject):
        """The form's data for the thing as it is saved now."""

    @abstractmethod
    def save(self, subject, form):
        """Apply the form through the service (raises ValidationFailed); the flow commits."""

    @abstractmethod
    def context(self, subject, **extra):
        """What the page and the blocks need."""

    def key(self, subject):
        """The name the page knows this thing by while it is edited or focused (e.g. "address-5")."""
        return self.name

    def template_for(self, subject):
        """The template whose blocks show this thing."""
        return self.template

    def editable(self, subject):
        """403 unless the thing may be changed now (beyond the role, e.g. not archived)."""
        return subject

    def oob(self, subject):
        """Parts of the page that a save of this thing can change, as (template, block) pairs."""
        return ()

    def saved_message(self, subject):
        return "Saved."

    def conflict(self, subject, theirs, mine):
        """One row of the conflict view: the field, the value saved now and the user's input, as the user reads them."""
        return Conflict(mine.label.text, display(theirs), display(mine))

    def saved(self, subject, form):
        """The answer after a successful save: the read view with out-of-band parts (htmx), or a redirect."""
        return done(self.saved_message(subject), self.done_url(subject),
                    lambda: self.show_read(subject, oob=self.oob(subject)))

    def current_form(self, subject):
        """The form filled with what is saved now, carrying that as its read state."""
        form = self.make_form(subject, None, self.initial(subject))
        form.remember_read()
        return form

    def conflicts(self, subject, current, posted, names):
        """The conflict view's rows for these fields, each naming the input it belongs to (focus goes to the first)."""
        rows = []
        for name in names:
            row = self.conflict(subject, current[name], posted[name])
            row.field = row.field or posted[name].name
            rows.append(row)
        return rows

    def show_read(self, subject, status=200, oob=()):
        context = self.context(subject, focus=self.key(subject), editing=None, form=None, conflict=None)
        return render(self.page_template, self.read_block, fragment_template=self.template_for(subject),
                      status=status, oob=oob, **context)

    def show_form(self, subject, form, status=200, conflict=None):
        context = self.context(subject, editing=self.key(subject), form=form, conflict=conflict, focus=None)
        return render(self.page_template, self.form_block, fragment_template=self.template_for(subject), status=status,
                      **context)

    def read_view(self, **view_args):
        return self.show_read(self.load(**view_args))

    def edit_view(self, **view_args):
        subject = self.editable(self.load(**view_args))
        return self.show_form(subject, self.current_form(subject))

    def save_view(self, **view_args):
        return once_more_on_unique_race(lambda: self._save_once(view_args), lambda: abort(409))

    def _save_once(self, view_args):
        subject = self.editable(self.load(for_update=True, **view_args))
        posted = self.make_form(subject, request.form)
        if not posted.validate_on_submit():
            return self.show_form(subject, posted, 422)
        read = posted.read()
        current = self.make_form(subject, None, self.initial(subject))
        now, mine = current.fingerprints(), posted.fingerprints()
        if read is not None and any(name not in read and mine[name] != now[name] for name in mine):
            read = None  # it does not say what this form showed for a field the user changed
        if read is None:
            # Not applied: without what it read, the form cannot say which fields the user changed (nor whether
            # someone else changed them since), so it shows the values saved now beside the user's input.
            posted.remember_read(now)
            conflicts = self.conflicts(subject, current, posted, [name for name in mine if mine[name] != now[name]])
            posted.form_errors.append(MISSING_READ_STATE)
            db.session.rollback()
            return self.show_form(subject, posted, 409, conflict=conflicts)
        changed = {name for name in mine if mine[name] != read.get(name, mine[name])}
        conflicts = [name for name in changed if now[name] != read.get(name) and now[name] != mine[name]]
        for name in mine:  # untouched fields follow what is saved now, so a save never undoes someone else's
            if name not in changed:
                posted[name].data = current[name].data
        posted.remember_read(now)
        if conflicts:
            db.session.rollback()
            return self.show_form(subject, posted, 409, conflict=self.conflicts(subject, current, posted, conflicts))
        if not changed:
            return done("Nothing to save: no field was changed.", self.done_url(subject),
                        lambda: self.show_read(subject))
        try:
            self.save(subject, posted)
            db.session.flush()
        except ValidationFailed as failed:
            db.session.rollback()
            posted.add_errors(failed.errors)
            return self.show_form(self.load(**view_args), posted, 422)
        db.session.commit()
        return self.saved(subject, posted)


class Addable(Inline):
    """A list that new things are added to through a form (addresses, contacts, rules, templates…)."""

    new_block = None  # the block of the empty form, when it is not the form block

    @abstractmethod
    def load_parent(self, for_update=False, **view_args):
        """What the new thing is added to (the customer, the organization)."""

    @abstractmethod
    def create(self, parent, form):
        """Create through the service (raises ValidationFailed); return the new thing."""

    @abstractmethod
    def new_context(self, parent, **extra):
        """What the page and the new form's block need."""

    @abstractmethod
    def created(self, parent, subject):
        """The answer after creating."""

    def new_initial(self, parent):
        return {}

    def parent_editable(self, parent):
        """403 unless things may be added to the parent now."""
        return parent

    def new_key(self):
        return f"{self.name}-new"

    def show_new(self, parent, form, status=200):
        context = self.new_context(parent, editing=self.new_key(), form=form, conflict=None, focus=None)
        return render(self.page_template, self.new_block or self.form_block, fragment_template=self.template,
                      status=status, **context)

    def new_view(self, **view_args):
        parent = self.parent_editable(self.load_parent(**view_args))
        form = self.make_form(None, None, self.new_initial(parent))
        return self.show_new(parent, form)

    def create_view(self, **view_args):
        return once_more_on_unique_race(lambda: self._create_once(view_args), lambda: abort(409))

    def _create_once(self, view_args):
        parent = self.parent_editable(self.load_parent(for_update=True, **view_args))
        form = self.make_form(None, request.form)
        if not form.validate_on_submit():
            return self.show_new(parent, form, 422)
        try:
            subject = self.create(parent, form)
            db.session.flush()
        except ValidationFailed as failed:
            db.session.rollback()
            form.add_errors(failed.errors)
            return self.show_new(self.load_parent(**view_args), form, 422)
        db.session.commit()
        return self.created(self.load_parent(**view_args), subject)




class CreatableEntry(Entry, Addable):
    """An entry whose list also takes new ones."""


def register(bp, entry, rule=None, new_rule=None, collection_rule=None):
    """Give an entry its routes on a blueprint: read, edit and save at `rule`; new and create when it adds."""
    guard = role_required(entry.role)
    if isinstance(entry, Entry):
        reader = role_required(entry.read_role)
        bp.add_url_rule(rule, entry.name, reader(entry.read_view), methods=["GET"])
        bp.add_url_rule(f"{rule}/edit", f"{entry.name}_edit", guard(entry.edit_view), methods=["GET"])
        bp.add_url_rule(rule, f"{entry.name}_save", guard(entry.save_view), methods=["POST"])
    if isinstance(entry, Addable):
        if not new_rule.endswith("/new"):  # static/portal.js tells a form's opener by /edit and /new
            raise ValueError(f"the new form of {entry.name} must be at a rule ending in /new, not {new_rule}")
        bp.add_url_rule(new_rule, f"{entry.name}_new", guard(entry.new_view), methods=["GET"])
        bp.add_url_rule(collection_rule, f"{entry.name}_create", guard(entry.create_view), methods=["POST"])
    ENTRIES.append((bp.name, entry))
    return entry


ENTRIES = []  # every registered entry, for the flow's tests
