"""Request and response helpers of the API: JSON bodies, ETags, If-Match, cursors."""
import base64
import binascii
import hashlib
import json

from flask import Response, jsonify, request
from jsonschema import Draft202012Validator

from portal.api import MAX_BODY, ApiError
from portal.domain.validation import whole_number

JSON_TYPES = {"application/json"}
MERGE_PATCH_TYPES = {"application/json", "application/merge-patch+json"}


def _field_of(error):
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return ".".join(p for p in (path, missing) if p), "Required."
    if error.validator == "additionalProperties":
        extras = [e for e in error.instance if e not in error.schema.get("properties", {})]
        return ".".join(p for p in (path, extras[0] if extras else "") if p), "Unknown field."
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return path or "(body)", f"Must be of type {expected}."
    if error.validator == "enum":
        return path or "(body)", "Must be one of: " + ", ".join(str(v) for v in error.validator_value) + "."
    return path or "(body)", error.message


def json_body(schema, content_types=JSON_TYPES):
    """The request's JSON object, validated against `schema`; problem+json on any fault."""
    if request.mimetype not in content_types:
        raise ApiError(415, "Unsupported Media Type", "Send " + " or ".join(sorted(content_types)) + ".")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY:
        raise ApiError(413, "Content Too Large", "The body may be at most 1 MiB.")
    try:
        body = json.loads(raw, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "Bad Request", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(422, "Unprocessable Content", "The body must be a JSON object.",
                       [{"field": "(body)", "message": "Must be a JSON object."}])
    errors = {}
    for error in sorted(Draft202012Validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path)):
        field, message = _field_of(error)
        errors.setdefault(field, message)
    if errors:
        raise ApiError(422, "Unprocessable Content", "Some fields are invalid.",
                       [{"field": f, "message": m} for f, m in errors.items()])
    return body


def etag_of(representation):
    """A strong ETag: a hash of exactly what the client sees."""
    canonical = json.dumps(representation, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def check_if_match(current_etag):
    """412 when If-Match names other versions than the current one."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = [t.strip() for t in header.split(",")]
    if "*" in tags or current_etag in tags:
        return
    raise ApiError(412, "Precondition Failed", "The resource changed since you read it (If-Match does not match "
                                               "the current ETag); GET it again.")


def respond(representation, status=200, headers=None):
    """A JSON response with the representation's ETag."""
    response = jsonify(representation)
    response.status_code = status
    response.headers["ETag"] = etag_of(representation)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def no_content():
    """204 after a DELETE."""
    return Response(status=204)


def encode_cursor(last_id):
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """The id a cursor continues after; 422 for anything that is not one of ours."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())["after"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        value = None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ApiError(422, "Unprocessable Content", "Invalid cursor.",
                       [{"field": "cursor", "message": "Invalid cursor."}])
    return value


def limit_arg(default=50, maximum=200):
    raw = request.args.get("limit")
    if raw is None:
        return default
    limit = whole_number(raw, maximum)
    if not limit:
        raise ApiError(422, "Unprocessable Content", "Invalid limit.",
                       [{"field": "limit", "message": f"A whole number from 1 to {maximum}."}])
    return limit


def object_id(raw):
    """A path id as an int; anything else is a 404, like an id that does not exist."""
    number = whole_number(raw)
    if number is None:
        raise ApiError(404, "Not Found", "No such resource.")
    return number
