"""A small form-submitting HTTP client: signs in, reads an htmx edit fragment's form, posts it back like a browser.

Forms are read with html.parser: every named, enabled control of the form as a browser submits it (inputs with
their value, checkboxes and radios only when checked, a select's selected option or else its first, a
textarea's text), so that hidden fields the server put there (versions, CSRF tokens) go back unchanged.
"""
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

TIMEOUT = (5, 30)  # connect, read: seconds
HTMX = {"HX-Request": "true"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
NOT_SUBMITTED = {"submit", "button", "image", "reset", "file"}


@dataclass
class Form:
    """One <form>: its attributes and its controls' (name, value) pairs in document order."""

    attrs: dict
    pairs: list = field(default_factory=list)
    submit: tuple | None = None  # the first named submit button: what pressing Enter sends

    @property
    def method(self):
        return (self.attrs.get("hx-post") and "post") or self.attrs.get("method", "get").lower()

    def target(self, base_url):
        return urljoin(base_url, self.attrs.get("hx-post") or self.attrs.get("action") or base_url)

    def names(self):
        return [name for name, _value in self.pairs]

    def has(self, control):
        names = self.names()
        return control in names or any(name.endswith("-" + control) for name in names)

    def resolve(self, control):
        """The name of the one control called `control`, or `<prefix>-control` (a form's prefix)."""
        names = [name for name, _value in self.pairs]
        found = {control} if control in names else {name for name in names if name.endswith("-" + control)}
        assert len(found) == 1, f"expected one control named {control!r} in the form, found {sorted(found)}"
        return found.pop()

    def value(self, control):
        name = self.resolve(control)
        values = [value for key, value in self.pairs if key == name]
        assert len(values) == 1, f"expected one control named {name!r} in the form, found {len(values)}"
        return values[0]

    def set(self, control, value):
        self.value(control)  # exactly one such control
        name = self.resolve(control)
        self.pairs = [(key, value if key == name else old) for key, old in self.pairs]

    def data(self):
        return self.pairs + ([self.submit] if self.submit else [])


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None  # [name, multiple, options: [value, selected, disabled, text]]
        self._option = None
        self._textarea = None  # [name, text]

    def handle_starttag(self, tag, attrs):
        a = {key: ("" if value is None else value) for key, value in attrs}
        if tag == "form":
            self._form = Form(a)
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        disabled = "disabled" in a
        if tag == "input":
            kind = a.get("type", "text").lower()
            if not name or disabled or kind in NOT_SUBMITTED:
                if kind in ("submit", "image") and name and not disabled and self._form.submit is None:
                    self._form.submit = (name, a.get("value", ""))
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.pairs.append((name, a.get("value", "on")))
                return
            self._form.pairs.append((name, a.get("value", "")))
        elif tag == "button":
            kind = a.get("type", "submit").lower()
            if kind == "submit" and name and not disabled and self._form.submit is None:
                self._form.submit = (name, a.get("value", ""))
        elif tag == "select":
            self._select = [name, "multiple" in a, [], disabled]
        elif tag == "option" and self._select is not None:
            self._close_option()
            self._option = [a.get("value"), "selected" in a, "disabled" in a, ""]
        elif tag == "textarea":
            self._textarea = [name if not disabled else None, ""]

    def handle_data(self, data):
        if self._option is not None:
            self._option[3] += data
        elif self._textarea is not None:
            self._textarea[1] += data

    def _close_option(self):
        if self._option is not None:
            value, selected, disabled, text = self._option
            self._select[2].append((text.strip() if value is None else value, selected, disabled))
            self._option = None

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option" and self._select is not None:
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            name, multiple, options, disabled = self._select
            self._select = None
            if self._form is None or not name or disabled:
                return
            chosen = [value for value, selected, off in options if selected and not off]
            if not chosen and not multiple:
                chosen = [value for value, _selected, off in options if not off][:1]
            self._form.pairs.extend((name, value) for value in (chosen if multiple else chosen[-1:]))
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._textarea = None
            if self._form is not None and name:
                if text.startswith("\r\n"):  # a browser drops the newline right after <textarea>
                    text = text[2:]
                elif text.startswith("\n"):
                    text = text[1:]
                self._form.pairs.append((name, text))


def forms_in(html):
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def post_form_with(html, control):
    """The POST form of `html` that has a control named `control`."""
    found = [form for form in forms_in(html) if form.method == "post" and form.has(control)]
    assert found, f"no POST form with a control named {control!r} in:\n{html[:2000]}"
    return found[0]


class _Elements(HTMLParser):
    """Collects the text inside elements that `match(tag, attrs)` accepts, and all text."""

    def __init__(self, match):
        super().__init__(convert_charrefs=True)
        self.match = match
        self.stack = []  # [tag, matched]
        self.found = []  # texts of matched elements (outermost)
        self.matched_any = False
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = {key: ("" if value is None else value) for key, value in attrs}
        matched = bool(self.match(tag, a))
        self.matched_any = self.matched_any or matched
        if tag in VOID_TAGS:
            return
        inside = any(m for _t, m in self.stack)
        self.stack.append([tag, matched])
        if matched and not inside:
            self.found.append("")

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        self.text.append(data)
        if any(m for _t, m in self.stack) and self.found:
            self.found[-1] += data


def _scan(html, match):
    parser = _Elements(match)
    parser.feed(html)
    parser.close()
    return parser


def classes(attrs):
    return set(attrs.get("class", "").split())


def element_texts(html, match):
    """Texts of the elements `match(tag, attrs)` accepts."""
    return [" ".join(text.split()) for text in _scan(html, match).found]


def has_element(html, match):
    return _scan(html, match).matched_any


def page_text(html):
    return " ".join("".join(_scan(html, lambda *_: False).text).split())


class SignInFailed(AssertionError):
    """The login form did not sign the user in."""


class PortalClient:
    """One signed-in user on its own cookie session, as a browser tab with htmx would be."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.http = requests.Session()
        self.csrf = None

    def url(self, path):
        return urljoin(self.base_url, path)

    def login(self, email, password):
        page = self.http.get(self.url("/login"), timeout=TIMEOUT)
        assert page.status_code == 200, page.status_code
        form = post_form_with(page.text, "password")
        self.csrf = form.value("csrf_token")
        form.set("email", email)
        form.set("password", password)
        response = self.http.post(form.target(page.url), data=form.data(), allow_redirects=False, timeout=TIMEOUT)
        if response.status_code not in (302, 303) or "/login" in response.headers.get("Location", ""):
            raise SignInFailed(f"sign-in answered {response.status_code} "
                               f"{response.headers.get('Location', '')}: {page_text(response.text)[:200]}")
        return self

    def get(self, path, htmx=True):
        return self.http.get(self.url(path), headers=HTMX if htmx else {}, timeout=TIMEOUT, allow_redirects=False)

    def edit_form(self, edit_path, control):
        """GET an edit fragment; return (response, the form with `control`) — form None unless 200."""
        response = self.get(edit_path)
        if response.status_code != 200:
            return response, None
        return response, post_form_with(response.text, control)

    def submit(self, response, form):
        """POST the form's fields as htmx would, with the CSRF token of the form (else of the session)."""
        token = form.value("csrf_token") if form.has("csrf_token") else self.csrf
        return self.http.post(form.target(response.url), data=form.data(), timeout=TIMEOUT, allow_redirects=False,
                              headers={**HTMX, "X-CSRFToken": token})
