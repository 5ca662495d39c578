"""The markup static/portal.js reads, on every entry of the inline-edit flow: each form names its key, its read view
has the Edit button focus returns to, and a conflict row names the input it is about (browser behaviour is in
tests/browser/test_keyboard_browser.py)."""
from html.parser import HTMLParser

from portal.extensions import db
from tests.test_detail import html
from tests.test_inline_flow import CASES, flow, names, world  # noqa: F401  (fixtures and cases of the flow's tests)


class Elements(HTMLParser):
    """Every element's tag and attributes, in document order."""

    def __init__(self, markup):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def having(self, attribute):
        return [attrs for _tag, attrs in self.elements if attribute in attrs]

    def by_id(self, element_id):
        return next((attrs for _tag, attrs in self.elements if attrs.get("id") == element_id), None)


def inline_key(markup):
    keys = [attrs["data-inline-key"] for attrs in Elements(markup).having("data-inline-key")]
    assert len(keys) == 1, keys
    return keys[0]


def test_every_form_names_its_key_and_its_read_view_has_the_edit_button(flow):
    case, user, world = flow
    form = html(user.get(case.edit_url(world), htmx=True))
    key = inline_key(form)
    read = html(user.get(case.edit_url(world).split("/edit")[0], htmx=True))
    assert not Elements(read).having("data-inline-key")  # the read view is no open form
    edit = Elements(read).by_id(f"edit-{key}")
    assert edit is not None and edit.get("hx-get", "").split("?")[0] == case.edit_url(world).split("?")[0]


def test_a_refused_save_marks_the_field(flow):
    case, user, world = flow
    field, _other, invalid = names(world, case)
    body = html(user.save(case.edit_url(world), {field: case.mine, invalid: case.invalid[1]}))
    marked = [attrs.get("name") for attrs in Elements(body).having("aria-invalid") if attrs["aria-invalid"] == "true"]
    assert marked and (invalid in marked or marked == ["value"]), marked  # a settings row has one input, "value"
    assert inline_key(body)


def test_a_conflict_row_names_its_input(flow):
    case, user, world = flow
    field, _other, _invalid = names(world, case)
    form = user.open_form(case.edit_url(world))
    case.theirs(world)
    db.session.commit()
    body = html(user.submit(form, {field: case.mine}))
    elements = Elements(body)
    rows = [attrs["data-field"] for tag, attrs in elements.elements if tag == "tr" and "data-field" in attrs]
    assert len(rows) == 1 and (field == rows[0] or field.startswith(rows[0] + "-")), rows  # a composite's part
    inputs = [attrs.get("name", "") for tag, attrs in elements.elements if tag in ("input", "select", "textarea")]
    assert any(name == rows[0] or name.startswith(rows[0] + "-") for name in inputs), inputs

