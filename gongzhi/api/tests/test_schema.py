import json
import typing
from pathlib import Path

from django.test import Client
from pydantic import BaseModel

from gongzhi.api.api import api

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


def _schema() -> dict:
    return json.loads(json.dumps(api.get_openapi_schema(), default=str))


def _models_of(annotation, found: set) -> None:
    """Every pydantic model in a type annotation, nested ones included."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models_of(field.annotation, found)
        return
    for arg in typing.get_args(annotation):
        _models_of(arg, found)


def test_openapi_schema__no_two_models_share_a_name():
    # ninja names a component after its class: two classes of one name would share it,
    # and one of them would be documented with the other's fields.
    models: set = set()
    # Every router as mounted, nested ones (command's) included.
    for bound in api._get_bound_routers():
        for view in bound.template.path_operations.values():
            for operation in view.operations:
                for model in operation.models:
                    _models_of(model, models)
                for model in operation.response_models.values():
                    _models_of(model, models)
    names: dict[str, set] = {}
    for model in models:
        names.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")
    assert {name: owners for name, owners in names.items() if len(owners) > 1} == {}


def _unbounded(schema: dict, components: dict, where: str, out: list) -> None:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            _unbounded(part, components, where, out)
    kind = schema.get("type")
    if kind in ("integer", "number") and not (
        {"minimum", "exclusiveMinimum"} & set(schema)
        and {"maximum", "exclusiveMaximum"} & set(schema)
    ):
        out.append(f"{where}: {kind} without bounds")
    if kind == "string" and not ({"maxLength", "enum"} & set(schema) or "format" in schema):
        out.append(f"{where}: string without maxLength")
    if kind == "array":
        if "maxItems" not in schema:
            out.append(f"{where}: array without maxItems")
        _unbounded(schema.get("items", {}), components, f"{where}[]", out)
    for name, part in schema.get("properties", {}).items():
        _unbounded(part, components, f"{where}.{name}", out)


def test_openapi_schema__every_input_is_bounded():
    """Every number, text and list a client sends has its limits in the document."""
    schema = _schema()
    components = schema["components"]["schemas"]
    out: list[str] = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                where = f"{method.upper()} {path} {param['in']} {param['name']}"
                _unbounded(param["schema"], components, where, out)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _unbounded(media["schema"], components, f"{method.upper()} {path} body", out)
    assert out == []


def test_openapi_schema__every_operation_documents_the_errors_it_answers():
    schema = _schema()
    error = {"$ref": "#/components/schemas/ErrorOut"}
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            expected = {"400", "401", "403", "404"}
            if operation.get("parameters") or body:
                expected.add("422")
            if body:
                expected.add("413")
            if "application/json" in body:
                expected.add("415")
            for status in sorted(expected):
                documented = operation["responses"].get(status, {})
                if documented.get("content", {}).get("application/json", {}).get("schema") != error:
                    missing.append(f"{method.upper()} {path} {status}")
    assert missing == []
