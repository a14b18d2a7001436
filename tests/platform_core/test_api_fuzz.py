"""Schemathesis against the project's own OpenAPI schema.

Every request it generates goes through Django's test client (in the test's
transaction) as a superuser's API key with every scope, on the demo knowledge base,
so it reaches real code. Each answer must

- not be a server error (5xx),
- match the schema documented for its operation and status (response_schema_conformance,
  content_type_conformance): a client generated from the schema can trust it,
- if an error, be in the one error format.

The run is bounded (FUZZ_MAX_EXAMPLES per operation, derandomised, so CI replays the
same requests) and prints how many cases it sent. In the services suite it runs on
PostgreSQL, which refuses more input than SQLite (NUL characters, lone surrogates).
"""

import json
import os
from collections import Counter
from urllib.parse import quote, urlencode

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from platform_core.models import API_SCOPES

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))

# Per operation. The default keeps the embedded suite quick; the services suite (CI on
# PostgreSQL) sends more, bounded to about two minutes on this machine.
FUZZ_MAX_EXAMPLES = int(
    os.environ.get(
        "SUPPORTDESK_FUZZ_EXAMPLES",
        "20" if os.environ.get("SUPPORTDESK_TEST_SERVICES") == "1" else "10",
    )
)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

cases_sent: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def case_count_printed(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or not cases_sent:
        return
    with capture.global_and_fixture_disabled():  # to the terminal, passed or failed
        reporter.write_line(
            f"\nSchemathesis: {sum(cases_sent.values())} cases over "
            f"{len(cases_sent)} operations ({FUZZ_MAX_EXAMPLES} examples each at most)"
        )


def _query_string(query) -> str:
    if not isinstance(query, dict):
        return ""
    pairs = []
    for key, value in query.items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs += [(str(key), json.dumps(v) if isinstance(v, dict) else str(v)) for v in values]
    return urlencode(pairs)


def _as_schemathesis_response(case, response, *, url: str, headers: dict) -> Response:
    """Django's test response in the shape Schemathesis' checks read."""
    prepared = requests.Request(method=case.method, url=url, headers=headers).prepare()
    return Response(
        status_code=response.status_code,
        headers={name: [value] for name, value in response.headers.items()},
        content=response.content,
        request=prepared,
        elapsed=0.0,
        verify=False,
        message=response.reason_phrase,
        encoding=response.charset,
    )


@pytest.fixture
def throttle_raised(monkeypatch):
    """Thousands of requests from one key in a few minutes: the throttle is not under test."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "1000000/min", "user": "1000000/min"}
    )


@pytest.fixture
def api_key_header(django_user_model):
    from platform_core.api_auth import api_key_create

    admin = django_user_model.objects.create_superuser("fuzz-admin", password="x")
    _key, secret = api_key_create(user=admin, name="fuzz", scopes=list(API_SCOPES))
    return {"Authorization": f"Api-Key {secret}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    # The same generated requests on every run: CI is reproducible, a failure replays.
    derandomize=True,
    database=None,
    max_examples=FUZZ_MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_requests_get_no_server_error_and_answers_match_the_schema(
    case, api_key_header, knowledge_base, throttle_raised
):
    cases_sent[case.operation.label] += 1
    client = APIClient()
    body = None if isinstance(case.body, NotSet) else case.body
    content_type = case.media_type or "application/json"
    if body is None:
        data = ""
    elif isinstance(body, bytes | str):
        data = body
    else:
        data = json.dumps(body)
    path, query = quote(case.formatted_path), _query_string(case.query)

    response = client.generic(
        case.method,
        path,
        data=data,
        content_type=content_type,
        QUERY_STRING=query,
        HTTP_AUTHORIZATION=api_key_header["Authorization"],
    )

    assert response.status_code < 500, (case.method, case.formatted_path, response.content[:300])
    if response.status_code >= 400 and response["Content-Type"] == "application/json":
        assert set(response.json()) == {"type", "code", "detail", "fields"}
    case.validate_response(
        _as_schemathesis_response(
            case,
            response,
            url=f"http://testserver{path}" + (f"?{query}" if query else ""),
            headers={"Content-Type": content_type, **api_key_header},
        ),
        checks=CHECKS,
    )
