"""Schemathesis against a running service's own OpenAPI document, in a worker thread (the
services run in the test's event loop), with a bounded, seeded number of examples."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response

from tests.support.errors import error_structure_problem

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class FuzzTally:
    """How many examples ran, per service, and what failed (one line per operation)."""

    examples: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, service: str) -> None:
        with self.lock:
            self.examples[service] += 1


@dataclass(frozen=True)
class FuzzRun:
    service: str
    base_url: str
    document: dict[str, Any]
    max_examples: int


def _check_error_body(case: Case[Any], response: Response) -> None:
    if 400 <= response.status_code < 500:
        try:
            body = response.json()
        except ValueError:
            body = response.text
        problem = error_structure_problem(body)
        assert problem is None, (
            f"{case.operation.label}: {response.status_code} without the common error "
            f"structure ({problem})"
        )


def _fuzz(
    run: FuzzRun,
    case_strategy: Any,
    *,
    session: requests.Session,
    headers: dict[str, str],
    checks: list[Any],
    tally: FuzzTally,
) -> None:
    @hypothesis.settings(
        max_examples=run.max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a bounded run time
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=case_strategy)
    def example(case: Case[Any]) -> None:
        tally.count(run.service)
        response = case.call(base_url=run.base_url, session=session, headers=headers)
        case.validate_response(response, checks=checks)
        _check_error_body(case, response)

    example()


def _negatable(operation: Any) -> bool:
    """Whether negative data exists: a body or a constrained parameter (a bare string in
    the path cannot be made invalid)."""
    if operation.body:
        return True
    return any(
        parameter.location != "path" or set(parameter.definition.get("schema", {})) - {"type"}
        for parameter in operation.iter_parameters()
    )


def fuzz_service(run: FuzzRun, *, token: str, tally: FuzzTally) -> None:
    """Every operation of the document: signed in (positive and negative data) and
    anonymous (positive data), each with ``run.max_examples`` seeded examples."""
    schema = schemathesis.openapi.from_dict(run.document)
    signed_in = {"Authorization": f"Bearer {token}"}
    variants: list[tuple[str, dict[str, str], GenerationMode]] = [
        ("bearer", signed_in, GenerationMode.POSITIVE),
        ("bearer", signed_in, GenerationMode.NEGATIVE),
        ("anonymous", {}, GenerationMode.POSITIVE),
    ]
    with requests.Session() as session:
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), f"the document does not load: {result}"
            operation = result.ok()
            for who, headers, mode in variants:
                checks = list(CHECKS)
                if mode is GenerationMode.NEGATIVE:
                    checks.append(negative_data_rejection)
                try:
                    if mode is GenerationMode.NEGATIVE and not _negatable(operation):
                        continue
                    _fuzz(
                        run,
                        operation.as_strategy(generation_mode=mode),
                        session=session,
                        headers=headers,
                        checks=checks,
                        tally=tally,
                    )
                except (Exception, BaseExceptionGroup) as exc:  # reported with the others
                    tally.failures.append(f"{operation.label} [{who}, {mode.value}]: {exc}")
