"""Read the forms of a page as a browser submits them (HTML parsed with a parser, not sliced)."""
from html.parser import HTMLParser


class Form:
    """One <form>: where it posts and the fields a browser would send, in order."""

    def __init__(self, attrs):
        self.attrs = attrs
        self.fields = []  # (name, value) pairs; a checkbox group gives several
        self.controls = []  # (name, kind) of every named control, sent or not

    @property
    def action(self):
        return self.attrs.get("hx-post") or self.attrs.get("action")

    def data(self):
        """The fields as a dict of lists (werkzeug's MultiDict shape), for a test client post."""
        values = {}
        for name, value in self.fields:
            values.setdefault(name, []).append(value)
        return values

    def get(self, name):
        return next((value for field, value in self.fields if field == name), None)

    @property
    def read_state(self):
        """What the form says it read (its field may carry the form's prefix)."""
        return next((value for field, value in self.fields if field.split("-")[-1] == "read_state"), None)


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None  # [name, chosen value, first value]
        self._textarea = None  # [name, text]

    def handle_starttag(self, tag, attrs):
        attrs = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "form":
            self._form = Form(attrs)
            self.forms.append(self._form)
            return
        if self._form is None or "name" not in attrs or "disabled" in attrs:
            if tag == "option" and self._select is not None:
                self._option(attrs)
            return
        name = attrs["name"]
        if tag == "input":
            kind = attrs.get("type", "text")
            self._form.controls.append((name, kind))
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form.fields.append((name, attrs.get("value", "on")))
            elif kind not in ("submit", "button", "reset", "file"):
                self._form.fields.append((name, attrs.get("value", "")))
        elif tag == "select":
            self._form.controls.append((name, "select"))
            self._select = [name, None, None]
        elif tag == "textarea":
            self._form.controls.append((name, "textarea"))
            self._textarea = [name, ""]

    def _option(self, attrs):
        value = attrs.get("value", "")
        if self._select[2] is None:
            self._select[2] = value
        if "selected" in attrs:
            self._select[1] = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            name, chosen, first = self._select
            self._form.fields.append((name, chosen if chosen is not None else (first or "")))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # HTML drops one line break right after <textarea>
            self._form.fields.append((name, text.removeprefix("\r\n") if text.startswith("\r\n") else text.removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms_in(html):
    """Every form of the HTML, in order."""
    parser = _Parser()
    parser.feed(html)
    return parser.forms


def post_form(html, action_contains=None):
    """The first form that posts (to an action containing `action_contains`, when given)."""
    for form in forms_in(html):
        method = (form.attrs.get("method") or "get").lower()
        if (method == "post" or "hx-post" in form.attrs) and (action_contains is None or action_contains in (form.action or "")):
            return form
    raise AssertionError(f"no post form{' to ' + action_contains if action_contains else ''} in the page")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def text_of(html):
    """The page's text as a reader sees it (<wbr> and other inline tags do not split a word)."""
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)
