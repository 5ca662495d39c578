"""A page's HTML as a tree of elements (parsed with the standard library's parser), to read what a user sees."""
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
HIDDEN_TEXT = {"script", "style", "template"}


class Element:
    """One element: its tag, attributes, children (elements and text)."""

    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    @property
    def classes(self):
        return set((self.attrs.get("class") or "").split())

    def iter(self):
        """This element and every element inside it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag=None, class_=None, **attrs):
        """The elements inside (this one included) with the tag, class and attribute values given."""
        return [e for e in self.iter() if (tag is None or e.tag == tag) and (class_ is None or class_ in e.classes)
                and all(e.attrs.get(name.replace("_", "-")) == value for name, value in attrs.items())]

    def find(self, tag=None, class_=None, **attrs):
        found = self.find_all(tag, class_, **attrs)
        return found[0] if found else None

    def by_id(self, element_id):
        """The element with this id; AssertionError when there is none."""
        found = self.find(id=element_id)
        assert found is not None, f"no element #{element_id}"
        return found

    def text(self):
        """The text a reader sees inside, with white space collapsed (no script or style)."""
        parts = []
        for child in self.children:
            if isinstance(child, Element):
                if child.tag not in HIDDEN_TEXT:
                    parts.append(child.text())
            else:
                parts.append(child)
        return " ".join(" ".join(parts).split())

    def all(self, predicate):
        """The elements inside (not this one) for which `predicate` holds."""
        return (element for element in self.iter() if element is not self and predicate(element))

    def by_class(self, name):
        return self.find_all(class_=name)

    def selected(self):
        """A select's chosen option (value, text): the one marked selected, else the first."""
        options = self.find_all("option")
        chosen = next((o for o in options if "selected" in o.attrs), options[0] if options else None)
        return (chosen.attrs.get("value", chosen.text()), chosen.text()) if chosen else (None, None)

    def option_texts(self):
        return [option.text() for option in self.find_all("option")]


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: ("" if v is None else v) for k, v in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, {k: ("" if v is None else v) for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def tree(html):
    """The document of an HTML page or fragment."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def parse(response):
    """A test client response's HTML as a tree."""
    return tree(response.get_data(as_text=True))
