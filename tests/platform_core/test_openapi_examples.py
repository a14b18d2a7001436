"""Every operation of the OpenAPI schema shows an example of its success response and of
its request body, and every example is valid against the schema it illustrates.

The schema is OpenAPI 3.0; each example is checked against it as JSON Schema, read
strictly: a property the serializer lacks is an error, and so is a missing required one
(read-only fields belong to responses only).
"""

import re
import uuid
from datetime import date, datetime

import pytest
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator, FormatChecker

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# DRF's form parsers add these to every request body; the API's clients send JSON (or CSV).
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

OPERATIONS = [
    (path, method, operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method in HTTP_METHODS
]


def _operation_id(path: str, method: str) -> str:
    return f"{method.upper()} {path}"


def _examples() -> list:
    """(direction, schema, value) of every example, named after its operation, status and
    media type."""
    found = []
    for path, method, operation in OPERATIONS:
        contents = [("request", None, operation.get("requestBody", {}).get("content", {}))]
        contents += [
            ("response", status, response.get("content", {}))
            for status, response in operation["responses"].items()
        ]
        for direction, status, content in contents:
            for media_type, media in content.items():
                for name, example in media.get("examples", {}).items():
                    found.append(
                        pytest.param(
                            direction,
                            media["schema"],
                            example["value"],
                            id=f"{_operation_id(path, method)} {status or direction} "
                            f"{media_type} {name}",
                        )
                    )
    return found


EXAMPLES = _examples()


@pytest.mark.parametrize(
    "operation",
    [pytest.param(op, id=_operation_id(path, method)) for path, method, op in OPERATIONS],
)
def test_the_success_response_has_an_example(operation):
    successes = {
        status: response
        for status, response in operation["responses"].items()
        if status.startswith("2")
    }

    assert successes, "no success response documented"
    for status, response in successes.items():
        for media_type, media in response.get("content", {}).items():
            if media["schema"].get("format") == "binary":
                continue  # a file (the DSAR export's ZIP) has no example worth showing
            assert media.get("examples"), f"{status} {media_type} has no example"


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(op, id=_operation_id(path, method))
        for path, method, op in OPERATIONS
        if "requestBody" in op
    ],
)
def test_the_request_body_has_an_example(operation):
    content = operation["requestBody"]["content"]

    for media_type, media in content.items():
        if media_type not in FORM_MEDIA_TYPES:
            assert media.get("examples"), f"{media_type} has no example"


def test_the_tables_cover_the_api():
    escalate = SCHEMA["paths"]["/api/v1/inbox/conversations/{public_id}/escalate/"]["post"]

    assert len(OPERATIONS) > 50 and len(EXAMPLES) > len(OPERATIONS)
    assert "requestBody" in escalate


@pytest.mark.parametrize(("direction", "schema", "value"), EXAMPLES)
def test_every_example_matches_its_schema(direction, schema, value):
    validator = _validator(schema, direction)

    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]

    assert not errors, "\n".join(errors)


EMAIL = re.compile(r"[\w.+-]+@([\w-]+\.)+[a-z]{2,}", re.IGNORECASE)
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")  # reserved, RFC 2606


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_email_addresses_in_examples_are_on_reserved_domains():
    addresses = {
        match.group(0)
        for example in EXAMPLES
        for text in _strings(example.values[2])
        for match in EMAIL.finditer(text)
    }

    assert addresses, "no address found: is EMAIL still matching?"
    assert [a for a in addresses if not _on_reserved_domain(a)] == []


def _on_reserved_domain(address: str) -> bool:
    domain = address.rpartition("@")[2].lower()
    return any(domain == d or domain.endswith(f".{d}") for d in EXAMPLE_DOMAINS)


# OpenAPI 3.0 -> JSON Schema ---------------------------------------------------------------


def _json_schema(schema: dict, direction: str) -> dict:
    """An OpenAPI 3.0 schema as JSON Schema for one direction, closed to unknown properties."""
    schema = dict(schema)
    nullable = schema.pop("nullable", False)
    schema.pop("example", None)
    if "properties" in schema:
        hidden = "readOnly" if direction == "request" else "writeOnly"
        schema["properties"] = {
            name: _json_schema(field, direction)
            for name, field in schema["properties"].items()
            if not field.get(hidden)
        }
        if "required" in schema:
            schema["required"] = [n for n in schema["required"] if n in schema["properties"]]
        schema.setdefault("additionalProperties", False)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = _json_schema(schema[key], direction)
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            schema[key] = [_json_schema(part, direction) for part in schema[key]]
    if nullable:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


def _validator(schema: dict, direction: str) -> Draft202012Validator:
    components = {
        name: _json_schema(component, direction)
        for name, component in SCHEMA["components"]["schemas"].items()
    }
    root = {**_json_schema(schema, direction), "components": {"schemas": components}}
    return Draft202012Validator(root, format_checker=FORMATS)


FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value) -> bool:
    # RFC 3339: with a time-zone offset.
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("date", raises=ValueError)
def _is_date(value) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@FORMATS.checks("uuid", raises=ValueError)
def _is_uuid(value) -> bool:
    return not isinstance(value, str) or bool(uuid.UUID(value))


@FORMATS.checks("email")
def _is_email(value) -> bool:
    return not isinstance(value, str) or EMAIL.fullmatch(value) is not None
