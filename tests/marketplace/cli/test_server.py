"""``bourse serve --fd N`` serves on an inherited listening socket, and refuses in one line what
it cannot serve on. The serving itself: tests/e2e/test_serve.py (through tests/servers.py)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketplace.cli import app as cli
from marketplace.cli import main
from marketplace.db import make_engine
from marketplace.migrations import check_at_head, upgrade
from marketplace.runtime import Runtime
from marketplace.settings import Settings, get_settings
from tests.conftest import production_env


@pytest.fixture(autouse=True)
def _embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABOURSE_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("DATABOURSE_CHAIN_URL", f"eth-tester://{tmp_path / 'chain'}")
    monkeypatch.setenv("DATABOURSE_MODE", "development")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _serve(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["serve", *args])
    return result.exit_code, result.output


def test_fd_with_a_port_is_refused() -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        code, out = _serve("--fd", str(listening.fileno()), "--port", "8000")
    assert code == 2
    assert "no --host, --port or --workers" in out


def test_fd_that_is_not_a_socket_is_refused(tmp_path: Path) -> None:
    with (tmp_path / "plain").open("w") as plain:
        code, out = _serve("--fd", str(plain.fileno()))
    assert code == 2
    assert "is not an open socket" in out


def test_fd_of_a_udp_socket_is_refused_and_left_open() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        code, out = _serve("--fd", str(udp.fileno()))
        assert udp.getsockname()[1] > 0  # still open: the command did not close it
    assert code == 2
    assert "is not a TCP socket" in out


def test_serve_prints_the_chain_url_without_its_api_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The banner goes to stdout, which supervisors keep as a log; the log formatter's rule holds.
    import uvicorn

    node_key = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    monkeypatch.setenv("DATABOURSE_CHAIN_URL", f"http://127.0.0.1:9/v3/{node_key}")
    monkeypatch.setenv("DATABOURSE_WORKER_IN_PROCESS", "false")
    get_settings.cache_clear()
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **_kwargs: None)
    code, out = _serve()
    assert code == 0, out
    assert "http://127.0.0.1:9/***" in out
    assert node_key not in out


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_trusts_no_forwarded_header_unless_told_which_proxy_sends_it(
    monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default: any client whose connection
    # reaches the exchange through a local hop that passes the header on (a TCP proxy, a tunnel)
    # would choose its own network, and with it a fresh allowance of every abuse limit.
    import uvicorn

    monkeypatch.setenv("DATABOURSE_CHAIN_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DATABOURSE_WORKER_IN_PROCESS", "false")
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    get_settings.cache_clear()
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **kwargs: calls.append(kwargs))
    assert _serve("--workers", workers)[0] == 0
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.5")
    assert _serve("--workers", workers)[0] == 0
    assert [call.get("proxy_headers") for call in calls] == [False, True]


def test_production_refuses_workers_that_would_each_count_the_abuse_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    production_env(monkeypatch, worker_in_process="false", rate_limit_storage_url="memory://")
    get_settings.cache_clear()
    calls: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **_kwargs: calls.append(args))
    code, out = _serve("--workers", "2")
    assert code == 2
    assert "needs DATABOURSE_RATE_LIMIT_STORAGE_URL to a Redis every worker shares" in out
    assert calls == []
    monkeypatch.setenv("DATABOURSE_RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:6379/0")
    get_settings.cache_clear()
    assert _serve("--workers", "2")[0] == 0
    assert len(calls) == 1


def test_with_workers_the_supervising_process_migrates_once_and_builds_no_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each worker process builds its app (and starts its jobs); the parent, which only
    supervises them, built one too, with every job thread, and never served it."""
    import uvicorn

    import marketplace.app

    monkeypatch.setenv("DATABOURSE_CHAIN_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DATABOURSE_RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:6379/0")
    get_settings.cache_clear()
    built: list[object] = []
    real_build = marketplace.app.build_runtime

    def build_runtime(settings: Settings) -> Runtime:
        built.append(settings)
        return real_build(settings)

    monkeypatch.setattr(marketplace.app, "build_runtime", build_runtime)
    calls: list[tuple[tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    code, out = _serve("--workers", "2")
    assert code == 0, out
    [(args, kwargs)] = calls
    assert (args, kwargs["factory"], kwargs["workers"]) == (
        ("marketplace.app:create_app",),
        True,
        2,
    )
    assert built == []
    check_at_head(make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))  # migrated for them


def test_a_database_a_newer_version_migrated_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'zz_future'")
    engine.dispose()
    for command in (["db", "upgrade"], ["serve"]):
        monkeypatch.setattr(sys, "argv", ["bourse", *command])
        with pytest.raises(SystemExit) as ended:
            main()
        assert ended.value.code == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert err.startswith("error: the database is at revision 'zz_future'")
        assert "a newer version migrated it" in err
