"""The scaled set-up's files say only what the service understands."""

from pathlib import Path

import yaml

from marketplace.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict[str, object]:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(doc, dict)
    return doc


def _databourse_variables(doc: dict[str, object]) -> set[str]:
    names: set[str] = set()
    services = doc["services"]
    assert isinstance(services, dict)
    for service in services.values():
        env = service.get("environment", {})
        names.update(k for k in env if k.startswith("DATABOURSE_"))
    return names


def test_every_databourse_variable_in_compose_is_a_real_setting() -> None:
    known = {f"DATABOURSE_{name.upper()}" for name in Settings.model_fields}
    used = _databourse_variables(_compose())
    assert used, "compose sets no DATABOURSE_ variables"
    assert used <= known, f"not settings: {sorted(used - known)}"


def test_compose_runs_postgres_anvil_api_and_worker() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    assert {"postgres", "anvil", "api", "worker", "migrate"} <= set(services)
    assert services["worker"]["command"] == ["bourse", "worker"]
    assert "--workers" in services["api"]["command"]


def test_compose_publishes_ports_on_loopback_only() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_compose_runs_in_production_mode_with_required_secrets() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    env = services["api"]["environment"]
    assert env["DATABOURSE_MODE"] == "production"
    for secret in ("SECRET_KEY", "MASTER_KEY", "ANCHOR_RECORDER_KEY"):
        assert ":?" in env[f"DATABOURSE_{secret}"], f"{secret} must be required, not defaulted"


def test_compose_shares_the_abuse_limits_of_the_api_workers_through_redis() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    api = services["api"]
    assert api["environment"]["DATABOURSE_RATE_LIMIT_STORAGE_URL"] == "redis://redis:6379/0"
    assert "redis" in api["depends_on"]
    assert "redis" in services
