"""Request and response helpers of the API: JSON bodies, ETags, If-Match, cursors."""
import hashlib
import json
import re
from decimal import Decimal

from flask import Response, jsonify, request
from jsonschema import Draft202012Validator, ValidationError, validators

from portal.api import MAX_BODY, ApiError, boundary
from portal.domain.validation import whole_number

JSON_TYPES = {"application/json"}
MERGE_PATCH_TYPES = {"application/json", "application/merge-patch+json"}


def _rule_message(schema, validator, instance):
    """The message a schema names for this fault (`x-messages`), the one its service rule gives: "required" covers a
    field left out, null or blank, as the forms' rules see them."""
    messages = schema.get("x-messages", {}) if isinstance(schema, dict) else {}
    if "required" in messages and (instance is None or (isinstance(instance, str) and not instance.strip())):
        return messages["required"]
    return messages.get(validator)


def _field_of(error):
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        field_schema = error.schema.get("properties", {}).get(missing, {}) if isinstance(error.schema, dict) else {}
        return ".".join(p for p in (path, missing) if p), _rule_message(field_schema, "required", None) or "Required."
    ruled = _rule_message(error.schema, error.validator, error.instance)
    if ruled:
        return path or "(body)", ruled
    if isinstance(error.schema, dict) and error.schema.get("x-message") and error.validator not in (
            "required", "additionalProperties"):
        return path or "(body)", error.schema["x-message"]
    if error.validator == "maxLength":
        return path or "(body)", f"At most {error.validator_value} characters."
    if error.validator == "pattern" and error.schema.get("x-message-pattern"):
        return path or "(body)", error.schema["x-message-pattern"]
    if error.validator == "pattern":
        return path or "(body)", "Not in the expected format (no control characters or line breaks)."
    if error.validator == "additionalProperties":
        extras = [e for e in error.instance if e not in error.schema.get("properties", {})]
        return ".".join(p for p in (path, extras[0] if extras else "") if p), "Unknown field."
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return path or "(body)", f"Must be of type {expected}."
    if error.validator == "enum" and len(error.validator_value) > 12:
        return path or "(body)", "Must be a " + error.schema.get("description", "known") + " code."
    if error.validator == "enum":
        return path or "(body)", "Must be one of: " + ", ".join(str(v) for v in error.validator_value) + "."
    return path or "(body)", error.message


def _decimal_multiple_of(validator, step, instance, schema):
    """multipleOf in decimal arithmetic: 30639135.58 is a multiple of 0.01 (binary floats say it is not)."""
    if not validator.is_type(instance, "number"):
        return
    if Decimal(repr(instance)) % Decimal(repr(step)) != 0:
        yield ValidationError(f"{instance} is not a multiple of {step}")


BodyValidator = validators.extend(Draft202012Validator, {"multipleOf": _decimal_multiple_of})


def _whole_numbers(value):
    """JSON has one number type: 502.0 is the integer 502 (as JSON Schema says), so the rules get an int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    return value


def _refuse_constant(name):
    raise ValueError(name)


def _unprocessable(errors, detail="Some fields are invalid."):
    return ApiError(422, "Unprocessable Content", detail, errors)


def json_body(schema, content_types=JSON_TYPES):
    """The request's JSON object, checked at the boundary and against `schema`; problem+json on any fault.

    Views call it before they load anything: a malformed body is a 400 whatever If-Match says, and no hostile
    string or number reaches a query.
    """
    if request.mimetype not in content_types:
        raise ApiError(415, "Unsupported Media Type", "Send " + " or ".join(sorted(content_types)) + ".")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY:
        raise ApiError(413, "Content Too Large", "The body may be at most 1 MiB.")
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "Bad Request", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _unprocessable([{"field": "(body)", "message": "Must be a JSON object."}], "The body must be a JSON object.")
    found = boundary.problems(body)
    if found:
        raise _unprocessable(found)
    body = _whole_numbers(body)
    errors = {}
    for error in sorted(BodyValidator(schema).iter_errors(body), key=lambda e: list(e.absolute_path)):
        field, message = _field_of(error)
        errors.setdefault(field, message)
    if errors:
        raise _unprocessable([{"field": f, "message": m} for f, m in errors.items()])
    return _with_decimals(body, schema)


def _with_decimals(body, schema):
    """Decimal fields given as JSON numbers become Decimals of their scale (the schema checked `multipleOf`, by the
    IEEE double arithmetic JSON numbers carry, so 0.35000000000000003 is 0.35); strings stay for the rule."""
    properties = schema.get("properties", {})
    for name, value in body.items():
        scale = properties.get(name, {}).get("x-decimal-scale")
        if scale is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            number = Decimal(repr(round(float(value), scale))).quantize(Decimal(1).scaleb(-scale))
            body[name] = number.copy_abs() if number.is_zero() else number  # -0 is 0
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


CURSOR_PATTERN = boundary.ID_DIGITS


def encode_cursor(last_id):
    """The position a page continues after, as the id it ended at."""
    return str(last_id)


def decode_cursor(cursor):
    """The id a cursor continues after; 400 for anything that is not one of ours (a bad cursor is a bad request)."""
    if cursor is None:
        return None
    if not re.match(CURSOR_PATTERN, cursor):
        raise ApiError(400, "Bad Request", "Invalid cursor: send back a nextCursor this API gave you.",
                       [{"field": "cursor", "message": "Invalid cursor."}])
    return int(cursor)


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
