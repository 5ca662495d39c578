"""A page as a tree of elements (parsed with the standard library's HTML parser), to read what a user sees."""
from html.parser import HTMLParser


class _Node:
    """One element: its tag, attributes and children (elements and text)."""

    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    def text(self):
        """The visible text, whitespace collapsed."""
        parts = [child if isinstance(child, str) else child.text() for child in self.children]
        return " ".join(" ".join(parts).split())

    def all(self, predicate):
        for child in self.children:
            if isinstance(child, _Node):
                if predicate(child):
                    yield child
                yield from child.all(predicate)

    def by_class(self, name):
        return list(self.all(lambda node: name in node.attrs.get("class", "").split()))

    def by_id(self, element_id):
        return next(self.all(lambda node: node.attrs.get("id") == element_id), None)


class _Tree(HTMLParser):
    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "area", "col", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {})
        self.node = self.root

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, {k: v or "" for k, v in attrs}, self.node)
        self.node.children.append(node)
        if tag not in self.VOID:
            self.node = node

    def handle_endtag(self, tag):
        node = self.node
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.node = node.parent

    def handle_data(self, data):
        self.node.children.append(data)


def parse(response):
    """The response's HTML as a tree; `.text()`, `.by_class()`, `.by_id()` read it."""
    tree = _Tree()
    tree.feed(response.get_data(as_text=True))
    return tree.root
