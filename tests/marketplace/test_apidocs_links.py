"""The OpenAPI document's links: each names an operation the document serves, fills parameters
(or body fields) that operation takes, from a field the source's answer has."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from marketplace.apidocs import BODY_LINKS, PATH_LINKS


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        op["operationId"]: op for methods in document["paths"].values() for op in methods.values()
    }


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _answer_has(document: dict[str, Any], response: dict[str, Any], pointer: str) -> bool:
    schema = _resolve(document, response["content"]["application/json"]["schema"])
    for part in pointer.removeprefix("$response.body#/").split("/"):
        if part.isdigit():
            schema = _resolve(document, schema["items"])
        elif part in schema.get("properties", {}):
            schema = _resolve(document, schema["properties"][part])
        else:
            return False
    return True


def test_every_link_targets_a_served_operation_and_a_field_of_the_answer(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    operations = _operations(document)
    served = 0
    for method, path, status in {**PATH_LINKS, **BODY_LINKS}:
        response = document["paths"][path][method]["responses"][status]
        for name, link in response["links"].items():
            target = operations[link["operationId"]]
            path_params = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
            for param, pointer in link.get("parameters", {}).items():
                assert param in path_params, f"{name}: {param} is not a path parameter"
                assert _answer_has(document, response, pointer), f"{name}: {pointer}"
            for field, pointer in link.get("requestBody", {}).items():
                body = _resolve(
                    document, target["requestBody"]["content"]["application/json"]["schema"]
                )
                assert field in body["properties"], f"{name}: body has no {field}"
                assert _answer_has(document, response, pointer), f"{name}: {pointer}"
            served += 1
    declared = sum(len(v) for v in PATH_LINKS.values()) + sum(len(v) for v in BODY_LINKS.values())
    assert served == declared >= 30
