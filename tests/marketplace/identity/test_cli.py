"""bourse signup | login | me | password | logout | operator create | org verify, against a live
server."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from marketplace.app import create_app
from marketplace.cli import app as cli
from marketplace.runtime import Runtime
from marketplace.settings import get_settings
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, bearer, serve


@pytest.fixture
def env(
    id_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    # `bourse operator create` opens DATABOURSE_DATABASE_URL; hand it the test database's engine
    # (on PostgreSQL that lives in a schema of its own, which the URL does not say).
    monkeypatch.setattr("marketplace.db.make_engine", lambda _url: id_runtime.engine)
    monkeypatch.setattr("marketplace.migrations.upgrade_embedded", lambda _engine: None)
    with serve(create_app(runtime=id_runtime)) as url:
        values = {
            "DATABOURSE_CONFIG_DIR": str(tmp_path / "config"),
            "DATABOURSE_PUBLIC_URL": url,
            "DATABOURSE_DATABASE_URL": id_runtime.settings.database_url,
            "DATABOURSE_MODE": "development",
            "DATABOURSE_LOG_LEVEL": "WARNING",
        }
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        yield values
    get_settings.cache_clear()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_operator_bootstrap_login_verify_me_and_logout(env: dict[str, str]) -> None:
    code, out = _run("operator", "create", "--email", OPERATOR_EMAIL, "--password", PASSWORD)
    assert code == 0, out
    assert "operator account" in out

    code, out = _run(
        "signup",
        "--email", "ada@example.org",
        "--organization", "Ada Data Ltd",
        "--role", "supplier",
        "--password", PASSWORD,
    )  # fmt: skip
    assert code == 0, out
    code, out = _run("me")
    assert code == 0, out
    assert "Ada Data Ltd" in out
    assert "an operator must verify it" in out

    code, out = _run("login", "--email", OPERATOR_EMAIL, "--password", PASSWORD)
    assert code == 0, out
    credentials = Path(env["DATABOURSE_CONFIG_DIR"]) / "credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert list(json.loads(credentials.read_text())) == [env["DATABOURSE_PUBLIC_URL"]]

    code, out = _run("org", "verify", "2")
    assert code == 0, out
    assert "is verified" in out

    code, out = _run("logout")
    assert code == 0, out
    assert json.loads(credentials.read_text()) == {}
    code, out = _run("me")
    assert code == 1
    assert "not logged in" in out


def test_login_with_a_wrong_password_prints_the_server_message(env: dict[str, str]) -> None:
    code, out = _run("login", "--email", "nobody@example.org", "--password", "whatever-it-is")
    assert code == 1
    assert "wrong email or password" in out


def test_operator_create_refuses_a_taken_email(env: dict[str, str]) -> None:
    assert _run("operator", "create", "--email", OPERATOR_EMAIL, "--password", PASSWORD)[0] == 0
    code, out = _run(
        "operator", "create", "--email", OPERATOR_EMAIL, "--organization", "Other ops",
        "--password", PASSWORD,
    )  # fmt: skip
    assert code == 1
    assert "email_taken" in out


def test_password_prompts_show_no_empty_default(env: dict[str, str]) -> None:
    answers = f"{PASSWORD}\n{PASSWORD}\n"
    created = CliRunner().invoke(
        cli, ["operator", "create", "--email", OPERATOR_EMAIL], input=answers
    )
    assert created.exit_code == 0, created.output
    assert created.output.startswith("Password: \nRepeat for confirmation: \n")
    logged_in = CliRunner().invoke(cli, ["login", "--email", OPERATOR_EMAIL], input=f"{PASSWORD}\n")
    assert logged_in.exit_code == 0, logged_in.output
    assert logged_in.output.startswith("Password: \n")
    assert "[]" not in created.output + logged_in.output


def test_only_the_server_cli_grants_the_operator_role(env: dict[str, str]) -> None:
    assert _run("operator", "create", "--email", OPERATOR_EMAIL, "--password", PASSWORD)[0] == 0
    code, out = _run(
        "signup", "--email", "sam@example.org", "--organization", "Second Ops",
        "--role", "buyer", "--password", PASSWORD,
    )  # fmt: skip
    assert code == 0, out

    code, out = _run("operator", "grant", "2")
    assert code == 0, out
    assert "now holds: buyer, operator" in out
    code, out = _run("operator", "grant", "2", "--role", "emperor")
    assert code == 2
    assert "role must be one of" in out
    code, out = _run("operator", "grant", "999")
    assert code == 1
    assert "no organisation 999" in out


def test_password_prompts_without_echo_and_ends_the_other_sessions(
    env: dict[str, str],
) -> None:
    new = "a much longer new passphrase"
    code, out = _run(
        "signup", "--email", "ada@example.org", "--organization", "Ada Data Ltd",
        "--role", "supplier", "--password", PASSWORD,
    )  # fmt: skip
    assert code == 0, out
    with httpx.Client(base_url=env["DATABOURSE_PUBLIC_URL"]) as http:
        stolen = http.post("/auth/login", json={"email": "ada@example.org", "password": PASSWORD})
        assert stolen.status_code == 200
        changed = CliRunner().invoke(cli, ["password"], input=f"{PASSWORD}\n{new}\n{new}\n")
        assert changed.exit_code == 0, changed.output
        assert changed.output == (
            "Current password: \nNew password: \nRepeat for confirmation: \n"
            "password changed; 1 other session logged out\n"
        )
        thief = http.get("/me", headers=bearer(stolen.json()["access_token"]))
        assert thief.status_code == 401
    code, out = _run("me")  # this session goes on
    assert code == 0, out
    assert "Ada Data Ltd" in out
    code, out = _run("login", "--email", "ada@example.org", "--password", new)
    assert code == 0, out


def test_password_with_a_wrong_current_one_prints_the_server_message(
    env: dict[str, str],
) -> None:
    code, out = _run(
        "signup", "--email", "ada@example.org", "--organization", "Ada Data Ltd",
        "--role", "supplier", "--password", PASSWORD,
    )  # fmt: skip
    assert code == 0, out
    code, out = _run(
        "password", "--current-password", "not the password", "--new-password", "another long one"
    )
    assert code == 1
    assert "wrong_password: the current password is wrong" in out
    code, out = _run("login", "--email", "ada@example.org", "--password", PASSWORD)
    assert code == 0, out


def test_logout_everywhere_ends_every_session_and_forgets_the_token(env: dict[str, str]) -> None:
    code, out = _run(
        "signup", "--email", "ada@example.org", "--organization", "Ada Data Ltd",
        "--role", "supplier", "--password", PASSWORD,
    )  # fmt: skip
    assert code == 0, out
    with httpx.Client(base_url=env["DATABOURSE_PUBLIC_URL"]) as http:
        stolen = http.post("/auth/login", json={"email": "ada@example.org", "password": PASSWORD})
        assert stolen.status_code == 200
        code, out = _run("logout", "--everywhere")
        assert code == 0, out
        assert out == "logged out everywhere: 2 sessions ended\n"
        thief = http.get("/me", headers=bearer(stolen.json()["access_token"]))
        assert thief.status_code == 401
        assert thief.json()["error"] == "token_revoked"
    credentials = Path(env["DATABOURSE_CONFIG_DIR"]) / "credentials.json"
    assert json.loads(credentials.read_text()) == {}


def test_logout_everywhere_with_a_dead_token_says_nothing_was_revoked(
    env: dict[str, str],
) -> None:
    code, out = _run(
        "signup", "--email", "ada@example.org", "--organization", "Ada Data Ltd",
        "--role", "supplier", "--password", PASSWORD,
    )  # fmt: skip
    assert code == 0, out
    credentials = Path(env["DATABOURSE_CONFIG_DIR"]) / "credentials.json"
    token = json.loads(credentials.read_text())[env["DATABOURSE_PUBLIC_URL"]]
    with httpx.Client(base_url=env["DATABOURSE_PUBLIC_URL"]) as http:
        assert http.post("/auth/logout", headers=bearer(token)).status_code == 200
    code, out = _run("logout", "--everywhere")
    assert code == 1
    assert "token_revoked" in out
    assert "nothing was revoked" in " ".join(out.split())  # the console wraps long lines
    assert json.loads(credentials.read_text()) == {}


def test_org_suspend_and_reinstate(env: dict[str, str]) -> None:
    assert _run("operator", "create", "--email", OPERATOR_EMAIL, "--password", PASSWORD)[0] == 0
    code, out = _run(
        "signup", "--email", "fraud@example.org", "--organization", "Fraud Co",
        "--role", "supplier", "--password", PASSWORD,
    )  # fmt: skip
    assert code == 0, out
    code, out = _run("login", "--email", OPERATOR_EMAIL, "--password", PASSWORD)
    assert code == 0, out
    code, out = _run("org", "suspend", "2", "--reason", "stolen cards")
    assert code == 0, out
    assert out == "organisation 2 (Fraud Co) is suspended: stolen cards\n"
    code, out = _run("org", "list")
    assert code == 0, out
    assert "yes: stolen cards" in out
    code, out = _run("org", "suspend", "2", "--reason", "again")
    assert code == 1
    assert "already_suspended" in out
    code, out = _run("org", "suspend", "1", "--reason", "ourselves")
    assert code == 1
    assert "suspension_refused" in out
    code, out = _run("org", "reinstate", "2")
    assert code == 0, out
    assert out == "organisation 2 (Fraud Co) is reinstated\n"
    code, out = _run("login", "--email", "fraud@example.org", "--password", PASSWORD)
    assert code == 0, out
    code, out = _run("org", "reinstate", "1")
    assert code == 1
    assert "role_required" in out  # fraud is logged in now, and is no operator
