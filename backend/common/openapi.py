"""OpenAPI 3.1 document built from a service's ``Endpoint`` declarations and pydantic models."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from backend.common.endpoint import Endpoint
from backend.common.errors import ErrorItem

_REF = "#/components/schemas/{model}"
_STATUS_TEXT = {
    400: "Bad input",
    401: "Not signed in",
    402: "Payment declined",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    415: "Body is not JSON",
    429: "Too many requests",
}


class ErrorBody(BaseModel):
    errors: list[ErrorItem]


def openapi_document(service: str, endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}

    def ref(model: type[BaseModel], mode: str) -> dict[str, Any]:
        schema = model.model_json_schema(by_alias=True, ref_template=_REF, mode=mode)  # type: ignore[arg-type]
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        return {"$ref": _REF.format(model=model.__name__)}

    error_ref = ref(ErrorBody, "serialization")
    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        op: dict[str, Any] = {
            "summary": ep.summary,
            "operationId": f"{ep.method.lower()}_{_slug(ep.path)}",
            "responses": {},
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", ep.path)
        ]
        if ep.query is not None:
            query_schema = ep.query.model_json_schema(by_alias=True, ref_template=_REF)
            schemas.update(query_schema.pop("$defs", {}))
            required = set(query_schema.get("required", []))
            for name, prop in query_schema.get("properties", {}).items():
                params.append(
                    {"name": name, "in": "query", "required": name in required, "schema": prop}
                )
        if params:
            op["parameters"] = params
        if ep.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref(ep.body, "validation")}},
            }
        success: dict[str, Any] = {"description": "OK"}
        if ep.response is not None:
            success["content"] = {"application/json": {"schema": ref(ep.response, "serialization")}}
        op["responses"][str(ep.status)] = success
        codes = set(ep.errors)
        if ep.body is not None:
            codes.update({400, 413, 415})
        if ep.query is not None:
            codes.update({400, 413})
        if ep.auth:
            codes.add(401)
            op["security"] = [{"bearer": []}, {"cookie": []}]
        for code in sorted(codes):
            op["responses"][str(code)] = {
                "description": _STATUS_TEXT.get(code, "Error"),
                "content": {"application/json": {"schema": error_ref}},
            }
        paths.setdefault(ep.path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Ticketing {service} service", "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")
