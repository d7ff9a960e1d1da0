import json
from pathlib import Path

from django.test import Client

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def test_openapi_schema__matches_the_committed_copy(db):
    served = Client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert served.json() == committed, (
        "The API changed: run `make openapi` and commit docs/openapi.json"
    )


def test_openapi_schema__documents_the_error_shape_and_both_auths(db):
    schema = Client().get("/api/v1/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) >= {"TokenAuth", "ActiveSessionAuth"}
    assert set(schema["components"]["schemas"]["ErrorOut"]["properties"]) == {
        "code",
        "message",
        "details",
    }
