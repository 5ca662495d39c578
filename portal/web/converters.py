"""URL converters: an id in a path is ASCII digits within the INTEGER column's range, or no route at all."""
from werkzeug.routing import IntegerConverter

from portal.domain.validation import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:…>` for ids: `２` (a full-width digit) or 2^31 matches no route, so it is a 404 like an unknown id."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, **kwargs)
