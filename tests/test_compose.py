"""docker-compose.yml's structure, checked without Docker (PyYAML + a small interpolator).

What a broken deploy would otherwise tell us only at `docker compose up`: a missing service or
healthcheck, a dependency on a one-shot without `service_completed_successfully`, an env var
the code reads but compose never sets, a connection JSON that does not parse, a credential
written into the file, an image that drifted from the pinned Airflow.
"""

from __future__ import annotations

import ast
import json
import os
import re
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "docker" / "airflow.Dockerfile"
CODE = ROOT / "plugins" / "smartprov"

AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
LONG_RUNNING = AIRFLOW_SERVICES | {"postgres", "warehouse", "minio", "mailpit"}
ONE_SHOT = {"airflow-init", "warehouse-init", "minio-init"}
ON_DEMAND = {"smartprov-cli"}  # behind a profile: neither long-running nor part of `up`
LINEAGE = {"marquez-db", "marquez", "marquez-web"}  # the `lineage` profile (docs/lineage.md)
EXPECTED_VOLUMES = {
    "airflow-db",
    "airflow-logs",
    "airflow-auth",
    "smartprov-var",
    "warehouse-data",
    "minio-data",
}

# SMARTPROV_* variables the code reads that compose deliberately does not set, with why.
NOT_IN_COMPOSE: dict[str, str] = {
    "SMARTPROV_TODAY": "pins settings.today() for tests and replays; production follows the clock",
}

_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def read_env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} and $$ escaping (no nesting)."""

    def one(m: re.Match) -> str:
        name, op, arg = m["name"], m["op"], m["arg"]
        value = env.get(name)
        if op in (":-", "-"):
            return value if value or (op == "-" and value is not None) else arg
        if op in (":?", "?"):
            if not value and not (op == "?" and value is not None):
                raise LookupError(f"compose would refuse: {name}: {arg}")
        return value or ""

    return _VAR.sub(one, text.replace("$$", "\0")).replace("\0", "$")


def interpolate_tree(node, env: dict[str, str]):
    """Interpolate every string value of the parsed file, as compose does (not comments, not keys)."""
    if isinstance(node, dict):
        return {k: interpolate_tree(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(v, env) for v in node]
    return interpolate(node, env) if isinstance(node, str) else node


def string_values(node) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in string_values(v)]
    if isinstance(node, list):
        return [s for v in node for s in string_values(v)]
    return [node] if isinstance(node, str) else []


SAMPLE_SECRETS = {
    "AIRFLOW_DB_PASSWORD": "db-pass-123",
    "AIRFLOW_FERNET_KEY": "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5eHk=",
    "AIRFLOW_JWT_SECRET": "jwt-secret-123",
    "AIRFLOW_API_SECRET_KEY": "api-secret-123",
    "AIRFLOW_ADMIN_PASSWORD": "admin-pass-123456",
    "WAREHOUSE_ADMIN_PASSWORD": "wh-admin-123",
    "WAREHOUSE_LOADER_PASSWORD": "wh-loader-123",
    "MINIO_ROOT_USER": "minio-root",
    "MINIO_ROOT_PASSWORD": "minio-root-123",
    "LANDING_SECRET_KEY": "landing-secret-123",
}


@pytest.fixture(scope="module")
def filled_env() -> dict[str, str]:
    """The .env an operator would write: .env.example with its empty secrets filled in."""
    env = read_env_example()
    for name, value in env.items():
        if not value:
            env[name] = SAMPLE_SECRETS.get(name, "")
    return env


# -- services, healthchecks, dependencies -------------------------------------------------
def test_services_present(services):
    assert LONG_RUNNING | ONE_SHOT <= set(services)
    assert set(services) <= LONG_RUNNING | ONE_SHOT | ON_DEMAND | LINEAGE, "classify new services in this test"
    assert all(services[name]["profiles"] == ["lineage"] for name in LINEAGE), "lineage is off by default"


def test_long_running_services_have_healthchecks_and_restart(services):
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck") or {}
        assert check.get("test"), f"{name}: no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert {"interval", "timeout", "retries"} <= set(check), f"{name}: incomplete healthcheck"
        assert services[name].get("restart") in ("always", "unless-stopped"), name


def test_one_shots_do_not_restart(services):
    for name in ONE_SHOT:
        assert str(services[name].get("restart", "no")) == "no", name
        assert "healthcheck" not in services[name], name


def test_depends_on_uses_the_right_conditions(services):
    for name, service in services.items():
        deps = service.get("depends_on") or {}
        assert isinstance(deps, dict), f"{name}: depends_on needs conditions (long form)"
        for dep, spec in deps.items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert dep != name, f"{name} depends on itself"
            want = "service_completed_successfully" if dep in ONE_SHOT else "service_healthy"
            assert spec.get("condition") == want, f"{name} -> {dep}: condition should be {want}"


def test_startup_order(services):
    def deps(name: str) -> set[str]:
        return set(services[name].get("depends_on") or {})

    for name in AIRFLOW_SERVICES | {"airflow-init"}:
        assert "postgres" in deps(name), name
    for name in AIRFLOW_SERVICES:
        assert "airflow-init" in deps(name), name
    # LocalExecutor runs tasks in the scheduler: everything the tasks use must be ready.
    assert {"airflow-apiserver", "warehouse-init", "minio-init", "mailpit"} <= deps("airflow-scheduler")
    assert deps("warehouse-init") == {"warehouse"}
    assert deps("minio-init") == {"minio"}


def test_airflow_configuration(services):
    for name in AIRFLOW_SERVICES | {"airflow-init"}:
        env = env_of(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Jakarta", name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false", name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres:5432/airflow"), name
        assert env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true", name
        for shared in (
            "AIRFLOW__CORE__FERNET_KEY",
            "AIRFLOW__API_AUTH__JWT_SECRET",
            "AIRFLOW__API__SECRET_KEY",
        ):
            assert env[shared].startswith("${") and ":?" in env[shared], f"{name}: {shared} must be required"
    commands = {name: services[name]["command"] for name in AIRFLOW_SERVICES}
    assert commands == {
        "airflow-apiserver": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
    }


def test_image_matches_pinned_airflow(services, filled_env):
    pin = re.search(r"^apache-airflow==(\S+)", (ROOT / "requirements.txt").read_text(), re.M)
    assert pin, "requirements.txt pins apache-airflow"
    version = pin.group(1)
    base = re.search(r"^ARG AIRFLOW_IMAGE=(\S+)", DOCKERFILE.read_text(), re.M)
    assert base and base.group(1) == f"apache/airflow:{version}-python3.11"
    assert filled_env["AIRFLOW_IMAGE"] == base.group(1)
    build = services["airflow-scheduler"]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    assert interpolate(build["args"]["AIRFLOW_IMAGE"], {}) == base.group(1)
    assert services["warehouse-init"]["image"] == services["airflow-scheduler"]["image"]


def test_scripts_and_mounts_exist(services):
    assert (ROOT / "docker" / "airflow-init.sh").is_file()
    assert services["airflow-init"]["command"][-1] == "/opt/smartprov/docker/airflow-init.sh"
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: bind mount {source} missing"
    for policy in ("pipeline-policy.json", "regency-policy.json"):
        json.loads((ROOT / "docker" / "minio" / policy).read_text())
    assert (ROOT / "docker" / "minio" / "minio-init.sh").is_file()


def test_named_volumes_declared_and_used(compose, services):
    declared = set(compose.get("volumes") or {})
    assert EXPECTED_VOLUMES <= declared
    used = set()
    for service in services.values():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/", "$")):
                used.add(source)
    assert used == declared, f"declared but unused: {declared - used}; used but undeclared: {used - declared}"
    assert "warehouse-data:/var/lib/postgresql/data" in services["warehouse"]["volumes"]
    assert "airflow-db:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "minio-data:/data" in services["minio"]["volumes"]


# -- environment: what the code reads, connections, secrets ------------------------------
def _env_names_read(tree: ast.Module) -> set[str]:
    """Names passed to os.environ.get/pop/setdefault, os.getenv, os.environ[...], `in os.environ`."""
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }

    def name_of(arg: ast.AST) -> str | None:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
        if isinstance(arg, ast.Name):
            return constants.get(arg.id)
        return None

    def is_environ(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
            isinstance(node, ast.Name) and node.id == "environ"
        )

    names: set[str | None] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            func = node.func
            if (
                func.attr in ("get", "pop", "setdefault") and is_environ(func.value)
            ) or func.attr == "getenv":
                names.add(name_of(node.args[0]))
        elif isinstance(node, ast.Subscript) and is_environ(node.value):
            names.add(name_of(node.slice))
        elif isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators):
            names.add(name_of(node.left))
    return {n for n in names if n}


def smartprov_env_reads() -> dict[str, str]:
    """SMARTPROV_* names the code under plugins/smartprov reads from the environment -> file."""
    found: dict[str, str] = {}
    for path in sorted(CODE.rglob("*.py")):
        for name in sorted(_env_names_read(ast.parse(path.read_text(), filename=str(path)))):
            if name.startswith("SMARTPROV_"):
                found.setdefault(name, path.relative_to(ROOT).as_posix())
    return found


def test_finds_env_reads_in_code():
    reads = smartprov_env_reads()
    # Known reads, so an empty result (a broken scanner) cannot pass silently.
    assert {"SMARTPROV_LANDING_CONN_ID", "SMARTPROV_PG_ADMIN_URL", "SMARTPROV_LOADER_PASSWORD"} <= set(reads)


def test_every_smartprov_variable_the_code_reads_is_set(services):
    in_compose = set()
    for service in services.values():
        in_compose |= set(env_of(service))
    missing = {
        name: where
        for name, where in smartprov_env_reads().items()
        if name not in in_compose and name not in NOT_IN_COMPOSE
    }
    assert not missing, f"read by the code, absent from docker-compose.yml: {missing}"


def test_airflow_services_share_one_environment(services):
    reference = env_of(services["airflow-scheduler"])
    for name in AIRFLOW_SERVICES | {"airflow-init", "smartprov-cli"}:
        env = env_of(services[name])
        assert {k: env.get(k) for k in reference} == reference, name
    for name in ("SMARTPROV_LANDING_URL", "SMARTPROV_LANDING_CONN_ID", "SMARTPROV_WAREHOUSE_CONN_ID"):
        assert name in reference
    assert reference["SMARTPROV_LANDING_URL"] == "s3://landing/"


def test_every_compose_variable_is_documented_in_env_example(compose):
    documented = set(read_env_example())
    referenced = {m["name"] for text in string_values(compose) for m in _VAR.finditer(text.replace("$$", ""))}
    assert referenced <= documented, f"add to .env.example: {sorted(referenced - documented)}"
    unused = documented - referenced
    assert not unused, f".env.example documents variables compose never reads: {sorted(unused)}"


def test_env_example_holds_no_secrets():
    for name, value in read_env_example().items():
        if re.search(r"PASSWORD|SECRET|FERNET|_KEY$", name) and name != "LANDING_ACCESS_KEY":
            assert value == "", f".env.example: {name} must be empty (a placeholder), not {value!r}"


def test_no_credentials_written_in_compose(services):
    secret_name = re.compile(r"PASSWORD|SECRET|FERNET|_KEY$")
    checked_urls = 0
    for name, service in services.items():
        for key, value in env_of(service).items():
            if secret_name.search(key) and not key.endswith("_FILE"):
                assert value.startswith("${"), f"{name}: {key} is written in the file; take it from .env"
            for m in re.finditer(r"://[^:/@\s]+:(.+?)@", value):
                checked_urls += 1
                assert m.group(1).startswith("${"), f"{name}: {key} has a password in a URL"
            if key.startswith("AIRFLOW_CONN_"):
                for field in re.findall(r'"password":\s*"([^"]*)"', value):
                    assert field.startswith("${"), f"{name}: {key} has a literal password"
    assert checked_urls >= 2  # the metadata DB URL and SMARTPROV_WAREHOUSE_URL, at least


def test_missing_secret_stops_compose(compose, filled_env):
    interpolate_tree(compose, filled_env)  # a complete .env interpolates
    for name in SAMPLE_SECRETS:
        with pytest.raises(LookupError, match=name):
            interpolate_tree(compose, {**filled_env, name: ""})


@pytest.fixture(scope="module")
def resolved_connections(compose, filled_env) -> dict[str, dict]:
    """The AIRFLOW_CONN_* values after interpolation with a filled-in .env, parsed as JSON."""
    env = env_of(interpolate_tree(compose, filled_env)["services"]["airflow-scheduler"])
    conns = {}
    for key, value in env.items():
        if key.startswith("AIRFLOW_CONN_"):
            conns[key] = json.loads(value)
    return conns


def test_connection_json_is_valid(resolved_connections, filled_env):
    assert set(resolved_connections) == {
        "AIRFLOW_CONN_SMARTPROV_WAREHOUSE",
        "AIRFLOW_CONN_SMARTPROV_LANDING",
        "AIRFLOW_CONN_SMTP_DEFAULT",
    }
    wh = resolved_connections["AIRFLOW_CONN_SMARTPROV_WAREHOUSE"]
    assert (wh["conn_type"], wh["host"], wh["port"], wh["schema"], wh["login"]) == (
        "postgres",
        "warehouse",
        5432,
        "smartprov",
        "smartprov_loader",
    )
    assert wh["password"] == filled_env["WAREHOUSE_LOADER_PASSWORD"]
    landing = resolved_connections["AIRFLOW_CONN_SMARTPROV_LANDING"]
    assert landing["conn_type"] == "aws"
    assert landing["extra"]["endpoint_url"] == "http://minio:9000"
    assert (landing["login"], landing["password"]) == (
        filled_env["LANDING_ACCESS_KEY"],
        filled_env["LANDING_SECRET_KEY"],
    )
    smtp = resolved_connections["AIRFLOW_CONN_SMTP_DEFAULT"]
    assert (smtp["conn_type"], smtp["host"], smtp["port"]) == ("smtp", "mailpit", 1025)
    assert smtp["extra"]["disable_tls"] is True and smtp["extra"]["disable_ssl"] is True


def test_connections_resolve_through_airflow_outside_a_task(resolved_connections, monkeypatch):
    """What airflow-init and the CLI do: Airflow 3 reads the AIRFLOW_CONN_* JSON from the env."""
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="smartprov-airflow-"))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    for key, value in resolved_connections.items():
        monkeypatch.setenv(key, json.dumps(value))
    from airflow.providers.smtp.hooks.smtp import SmtpHook
    from airflow.sdk import BaseHook

    wh = BaseHook.get_connection("smartprov_warehouse")
    assert (wh.conn_type, wh.host, wh.port, wh.schema) == ("postgres", "warehouse", 5432, "smartprov")
    landing = BaseHook.get_connection("smartprov_landing")
    assert landing.extra_dejson["endpoint_url"] == "http://minio:9000"
    hook = SmtpHook(smtp_conn_id="smtp_default")
    hook.smtp_connection = BaseHook.get_connection("smtp_default")  # what get_conn() does first
    assert (hook.smtp_starttls, hook.use_ssl, hook.smtp_user) == (False, False, "")


def test_warehouse_init_runs_the_roles_setup(services):
    init = services["warehouse-init"]
    assert init["command"][:3] == ["python", "-m", "smartprov.warehouse.pg_roles"]
    env = env_of(init)
    from smartprov.warehouse import pg_roles

    assert {pg_roles.ENV_ADMIN_URL, pg_roles.ENV_LOADER_PASSWORD, "PGPASSWORD"} <= set(env)
    assert env[pg_roles.ENV_ADMIN_URL].startswith("postgresql://postgres@warehouse:5432/")
    # The loader password the warehouse gets is the one the connection uses.
    assert env[pg_roles.ENV_LOADER_PASSWORD].split(":?")[0] == "${WAREHOUSE_LOADER_PASSWORD"
