"""The whole API under schemathesis: generated requests — valid and invalid, from the
OpenAPI document the app itself serves — with a command-center operator's and a grid
worker's token. Any 5xx, an undocumented status or content type, or a response that does
not match its schema fails the test.

Bounded and repeatable: a fixed seed, derandomized, three examples per operation (about
250 across the API, each sent with both tokens), no network (the app is called in
process through WSGI). Under pytest-xdist it is one test on one worker with that worker's
own test database.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gongzhi.accounts.services import api_token_create

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 14,
        # The coverage phase alone sends dozens of requests per operation.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"mode": "all", "deterministic": True},
    }
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler(), config=CONFIG)


@pytest.fixture
def tokens(people):
    """Bearer tokens of an operator of the district and of grid A's worker. While the
    test runs, requests do not close the test's database connection (as Django's test
    client arranges: here the requests go through the plain WSGI handler)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield [
        api_token_create(actor=None, user=people.op_district, name="fuzz")[1],
        api_token_create(actor=None, user=people.gw_a, name="fuzz")[1],
    ]
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api__no_server_error_and_every_response_as_documented(case, tokens):
    for token in tokens:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
