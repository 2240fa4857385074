"""House rule 3 across the whole API: schemathesis fuzzes every operation of the app's own
OpenAPI document, on a real uvicorn server, on each database under test.

The world is the authorisation matrix's (tests/marketplace/authz_world.py): organisation A's
supplier, buyer and arbitrator own one of every kind of object, and a valuer and an operator
exist; every organisation is verified. Every operation gets positive and negative cases (wrong
types, out-of-range integers, unknown fields, missing fields), each sent as one of: anonymous, a
bad token, and each role the app has (supplier, buyer, arbitrator, valuer, operator). Path ids
are often aimed at rows that exist, so that the routes behind the guards run too.

Then a stateful run: schemathesis follows the document's OpenAPI links (marketplace/apidocs.py),
so that a created asset, listing, demand, order or dispute is read, changed and acted on by the
next steps, as each role that creates such rows.

For every response:

- no 5xx;
- every 4xx body is exactly ``{"error": ..., "message": ...}``;
- a response with a declared schema conforms to it.

The streaming upload route takes a raw body that OpenAPI does not describe; it is left out here
and fuzzed separately below with hand-written bad bodies and queries.

Bounded and deterministic: a few examples per operation and mode, a few short scenarios per role,
derandomized, no example database, a generous per-example deadline. The run is bounded by its
example count, not by a wall-clock assertion: these machines are shared, and speed belongs in
bench/. The number of requests sent, per identity and mode, is recorded as the test's
``fuzz_requests`` property and printed at the end of the run (tests/conftest.py).
"""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from marketplace.runtime import Runtime
from tests.conftest import DATABASES
from tests.marketplace.assets.helpers import CSV, Party, create, upload
from tests.marketplace.authz_world import build, world_app
from tests.marketplace.identity.helpers import (
    Served,
    bearer,
    row_counts,
    serving,
)

pytestmark = pytest.mark.slow

UPLOAD_PATH = "/upload/assets/{asset_id}/revisions"
WELL_KNOWN_PATH = "/.well-known/databourse.json"
# Routes that end the caller's sessions: a party's token must survive the run.
LOGOUT_PATHS = ("/auth/logout", "/auth/logout-all")
EXAMPLES_PER_MODE = 6
# The stateful run: scenarios per role, and steps per scenario (a create and what follows it).
SCENARIOS_PER_ROLE = 8
STEPS_PER_SCENARIO = 6
# Who creates the rows the links start from: the supplier (assets, listings), the buyer
# (demands, orders, disputes), the operator (every list); arbitrators and valuers create none.
STATEFUL_ROLES = ("supplier", "buyer", "operator")
DEADLINE = timedelta(seconds=5)  # a request takes milliseconds; an argon2 sign-up ~0.2 s
OUT_OF_RANGE = [2**63, 2**64, 99999999999999999999, -(2**63) - 1]
ERROR_KEYS = {"error", "message"}
SPENT = bearer("dbt_not-a-token")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# The world's party that speaks for each role: organisation A's, which owns the objects.
ROLE_PARTIES = {
    "supplier": "supplier_a",
    "buyer": "buyer_a",
    "arbitrator": "arbitrator_a",
    "valuer": "valuer",
    "operator": "operator",
}
# Routes whose path is always aimed at the world's rows set aside for them, never at a generated
# id: suspending an organisation the run acts as (a generated 2 is supplier A) would leave the
# rest of the run refused with 403 and its routes untried.
ALWAYS_AIMED = {"/organizations/{organization_id}/suspend"}
# The world's rows each path parameter may be aimed at.
PATH_TARGETS = {
    "asset_id": ["asset", "draft", "objected_asset", "asset_to_patch"],
    "number": ["revision"],
    "listing_id": ["listing", "listing_to_pause"],
    "order_id": ["order", "order_to_accept", "disputed_order"],
    "demand_id": ["demand"],
    "quote_id": ["quote", "quote_to_accept"],
    "auction_id": ["auction", "auction_to_bid", "auction_sold"],
    "licence_id": ["licence"],
    "token": ["download_token"],
    "dispute_id": ["dispute"],
    "evidence_id": ["evidence"],
    "objection_id": ["objection", "objection_to_decide"],
    "notification_id": ["notification"],
    "payment_id": ["payment"],
    "hold_id": ["hold"],
    "seq": ["seq"],
    "valuation_id": ["valuation"],
    "organization_id": ["organization", "organization_to_suspend", "organization_suspended"],
}


@dataclass
class World:
    """The server under test, who may call it, and the rows its paths can aim at."""

    base_url: str
    identities: dict[str, dict[str, str]]
    path_targets: dict[str, list[int | str]]
    supplier: Party
    draft_id: int
    runtime: Runtime
    served: Served
    requests_sent: Counter[str] = field(default_factory=Counter)  # "identity mode" -> count


@pytest.fixture(scope="module", params=DATABASES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One server and one world per database, shared by the module's tests."""
    with world_app(request, tmp_path_factory, "fuzz", upload_bytes_max=1_000_000) as made:
        app, runtime, clock = made
        with TestClient(app) as api:
            w = build(api, runtime, clock)
            supplier = w.parties["supplier_a"]
            # The upload test's own draft: the fuzzing may delete the world's drafts.
            draft = int(create(api, supplier, title="A draft for bad uploads")["id"])
            r = upload(api, supplier, draft, CSV)
            assert r.status_code == 201, r.text
        with serving(app) as served:
            yield World(
                base_url=served.url,
                identities={
                    "anonymous": {},
                    "bad token": SPENT,
                    **{role: w.parties[name].headers for role, name in ROLE_PARTIES.items()},
                },
                path_targets={
                    param: [w.ids[name] for name in names] for param, names in PATH_TARGETS.items()
                },
                supplier=supplier,
                draft_id=draft,
                runtime=runtime,
                served=served,
            )


def _error_body_problem(response: requests.Response) -> str | None:
    """Why a 4xx body is not exactly {"error", "message"} (both strings), or None."""
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.text[:200]!r}"
    if not isinstance(body, dict) or set(body) != ERROR_KEYS:
        return f"keys are not exactly error and message: {str(body)[:300]}"
    if not all(isinstance(body[k], str) and body[k] for k in ERROR_KEYS):
        return f"error and message must be non-empty strings: {str(body)[:300]}"
    return None


def _problems_of(case: Any, response: Any, headers: dict[str, str]) -> str | None:
    """The checks every response must pass, as one message, or None."""
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as exc:
        return str(exc)[:1500]
    if 400 <= response.status_code < 500 and case.method.upper() != "HEAD":  # HEAD: no body
        problem = _error_body_problem(response)
        if problem:
            return f"{response.status_code} {problem}"
    return None


def _fuzz_operation(
    operation: Any, mode: GenerationMode, world: World, http: requests.Session
) -> list[str]:
    problems: list[str] = []
    identity_names = sorted(world.identities)
    if operation.path in LOGOUT_PATHS:
        # A party's token must survive the run: logout only sees tokens nobody else uses.
        identity_names = ["anonymous", "bad token"]

    @settings(
        max_examples=EXAMPLES_PER_MODE,
        derandomize=True,
        database=None,
        deadline=DEADLINE,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(
        case=operation.as_strategy(generation_mode=mode),
        who=st.sampled_from(identity_names),
        aim=st.integers(min_value=0, max_value=4),
    )
    def run(case: Any, who: str, aim: int) -> None:
        for name in list(case.path_parameters or {}):
            targets = world.path_targets.get(name, [])
            if operation.path in ALWAYS_AIMED:
                aim %= len(targets)
            if aim < len(targets):  # else keep the generated value
                case.path_parameters[name] = targets[aim]
        headers = dict(world.identities[who])
        response = case.call(base_url=world.base_url, session=http, headers=headers)
        world.requests_sent[f"{who} {mode.value}"] += 1
        problem = _problems_of(case, response, headers)
        if problem:
            where = f"{operation.method.upper()} {case.formatted_path} as {who} ({mode.value})"
            problems.append(f"{where}: {problem}")

    run()
    return problems


def _schema(world: World) -> Any:
    with httpx.Client(base_url=world.base_url, timeout=60) as client:
        document = client.get("/openapi.json").json()
    return schemathesis.openapi.from_dict(document)


def _report(world: World, record_property: Callable[[str, object], None], mode: str) -> None:
    sent = {k: v for k, v in sorted(world.requests_sent.items()) if f" {mode}" in k}
    record_property("fuzz_requests", json.dumps(sent))


def test_every_operation_answers_4xx_with_an_error_body_and_never_5xx(
    world: World, record_property: Callable[[str, object], None]
) -> None:
    schema = _schema(world)
    problems: list[str] = []
    fuzzed = 0
    with requests.Session() as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path == UPLOAD_PATH:
                continue  # a raw streamed body: fuzzed by hand below
            if operation.path == WELL_KNOWN_PATH:
                # No parameters and no body, so nothing to fuzz; this world has no chain, and the
                # trust anchor's 503 then is its documented answer (tests/marketplace/transparency).
                continue
            declared = schema.raw_schema["paths"][operation.path][operation.method.lower()]
            modes = [GenerationMode.POSITIVE]
            if declared.get("parameters") or declared.get("requestBody"):
                modes.append(GenerationMode.NEGATIVE)  # else there is nothing to make invalid
            for mode in modes:
                problems += _fuzz_operation(operation, mode, world, http)
            fuzzed += 1
    _report(world, record_property, "positive")
    _report(world, record_property, "negative")
    assert fuzzed >= 40, f"only {fuzzed} operations were fuzzed"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(sorted(set(problems)))
    assert all(world.requests_sent[f"{who} positive"] for who in world.identities)


# --- stateful: following the document's links -------------------------------------------------


def _state_machine(
    schema: Any, world: World, role: str, problems: list[str], http: requests.Session
) -> Any:
    """Schemathesis's state machine for ``schema``, calling as ``role`` and collecting problems
    (instead of stopping at the first, so that one run reports them all)."""
    # Only the links the document declares: no inferred ones, so the scenarios are the ones
    # docs/reliability.md describes.
    schema.config.phases.stateful.inference.algorithms = []
    base = schema.as_state_machine()
    headers = world.identities[role]

    class AsRole(base):  # type: ignore[misc, valid-type]  # a class built at run time
        def step(self, input: Any) -> Any:  # noqa: A002  # the name schemathesis calls it by
            if input.transition is not None:
                world.requests_sent[f"{role} stateful (by a link)"] += 1
            return super().step(input)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            # The role's token must survive the run: logout gets a token nobody uses.
            sent = SPENT if case.operation.path in LOGOUT_PATHS else headers
            return {"base_url": world.base_url, "session": http, "headers": dict(sent)}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            world.requests_sent[f"{role} stateful"] += 1
            problem = _problems_of(case, response, kwargs.get("headers", headers))
            if problem:
                problems.append(f"{case.operation.label} as {role} (stateful): {problem}")

    return AsRole


def test_linked_operations_followed_by_each_creating_role_never_5xx(
    world: World, record_property: Callable[[str, object], None]
) -> None:
    problems: list[str] = []
    for role in STATEFUL_ROLES:
        with requests.Session() as http:
            machine = _state_machine(_schema(world), world, role, problems, http)
            run_state_machine_as_test(
                machine,
                settings=settings(
                    max_examples=SCENARIOS_PER_ROLE,
                    stateful_step_count=STEPS_PER_SCENARIO,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                    report_multiple_bugs=False,
                ),
            )
    _report(world, record_property, "stateful")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(sorted(set(problems)))
    assert all(world.requests_sent[f"{role} stateful"] for role in STATEFUL_ROLES)


# --- the streaming upload route, by hand -------------------------------------------------------


def _upload_cases(draft: int) -> list[tuple[str, dict[str, Any]]]:
    path = f"/upload/assets/{draft}/revisions"
    return [
        (
            "csv with ragged rows",
            {"url": path, "params": {"format": "csv"}, "data": b"a,b\n1\n"},
        ),
        ("jsonl that is not JSON", {"url": path, "params": {"format": "jsonl"}, "data": b"{x"}),
        ("jsonl of arrays", {"url": path, "params": {"format": "jsonl"}, "data": b"[1]\n"}),
        ("parquet that is not", {"url": path, "params": {"format": "parquet"}, "data": b"PAR"}),
        ("csv not UTF-8", {"url": path, "params": {"format": "csv"}, "data": b"a\n\xff\xfe\n"}),
        ("unknown format", {"url": path, "params": {"format": "xlsx"}, "data": CSV}),
        ("bad media type", {"url": path, "params": {"media_type": "not a type"}, "data": CSV}),
        (
            "long media type",
            {"url": path, "params": {"media_type": "a/" + "b" * 200}, "data": CSV},
        ),
        (
            "oversize",
            {"url": path, "params": {"format": "opaque"}, "data": b"x" * 1_000_001},
        ),
        *[
            (f"asset id {n}", {"url": f"/upload/assets/{n}/revisions", "data": CSV})
            for n in [0, -1, "x", *OUT_OF_RANGE]
        ],
        (
            "an unknown asset",
            {"url": "/upload/assets/9223372036854775807/revisions", "data": CSV},
        ),
    ]


def test_bad_uploads_are_4xx_with_an_error_body_and_store_nothing(world: World) -> None:
    before = row_counts(world.runtime.engine)
    blob_root = Path(world.runtime.settings.blob_url.removeprefix("file://"))
    blobs_before = sorted(p for p in blob_root.rglob("*") if p.is_file())
    problems: list[str] = []
    with requests.Session() as http:
        for name, case in _upload_cases(world.draft_id):
            headers = {**world.supplier.headers, **case.pop("headers", {})}
            try:
                r = http.put(world.base_url + case.pop("url"), headers=headers, timeout=10, **case)
            except requests.ConnectionError:
                continue  # a truncated body: the server may close the connection; checked below
            if not 400 <= r.status_code < 500:
                problems.append(f"{name}: {r.status_code} {r.text[:200]}")
            elif problem := _error_body_problem(r):
                problems.append(f"{name}: {problem}")
    target = f"/upload/assets/{world.draft_id}/revisions?format=csv"
    for name, declared_bytes in [("truncated", len(CSV) + 10), ("declared oversize", 1_000_001)]:
        answer = _send_declaring(world, target, declared_bytes)
        if answer:  # else the server dropped the half-closed connection, which is fine too
            problems += [f"{name}: {p}" for p in [_raw_problem(answer)] if p]
    assert not problems, "\n".join(problems)
    world.served.wait_idle()  # a client that hung up got no answer to wait for
    assert row_counts(world.runtime.engine) == before
    assert sorted(p for p in blob_root.rglob("*") if p.is_file()) == blobs_before


def _send_declaring(world: World, target: str, declared_bytes: int) -> bytes:
    """Sends the small CSV under a Content-Length of ``declared_bytes``, then closes its side:
    what a dropped client does (HTTP clients will not send a false Content-Length)."""
    host, port = world.base_url.removeprefix("http://").split(":")
    head = (
        f"PUT {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        f"Authorization: {world.supplier.headers['Authorization']}\r\n"
        f"Content-Length: {declared_bytes}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + CSV)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _raw_problem(answer: bytes) -> str | None:
    status_line, _, rest = answer.partition(b"\r\n")
    status = int(status_line.split()[1])
    if not 400 <= status < 500:
        return f"status {status}"
    body = rest.partition(b"\r\n\r\n")[2]
    try:
        parsed = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:200]!r}"
    return None if isinstance(parsed, dict) and set(parsed) == ERROR_KEYS else f"body {parsed}"
