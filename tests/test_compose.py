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

SITE_ENV_EXAMPLE = ROOT / "site.env.example"
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
# The `celery` profile (docs/scale-out.md): the broker and the workers.
CELERY_WORKERS = {"airflow-worker-1", "airflow-worker-2"}
CELERY = CELERY_WORKERS | {"redis"}
LONG_RUNNING = AIRFLOW_SERVICES | CELERY | {"postgres", "warehouse", "minio", "mailpit", "reports", "portal"}
ONE_SHOT = {"airflow-init", "warehouse-init", "minio-init"}
ON_DEMAND = {"smartprov-cli"}  # behind a profile: neither long-running nor part of `up`
LINEAGE = {"marquez-db", "marquez", "marquez-web"}  # the `lineage` profile (docs/lineage.md)
# Optional services, each behind its profile: production runs without them.
PROFILES = (
    {"minio": "minio", "minio-init": "minio", "mailpit": "dev", "smartprov-cli": "cli"}
    | {name: "lineage" for name in LINEAGE}
    | {name: "celery" for name in CELERY}
)
EXPECTED_VOLUMES = {
    "airflow-db",
    "airflow-logs",
    "airflow-auth",
    "smartprov-var",
    "smartprov-reports",
    "smartprov-worker-1-var",
    "smartprov-worker-2-var",
    "warehouse-data",
    "minio-data",
    "marquez-db",
}

# SMARTPROV_* variables the code reads that compose deliberately does not set, with why.
NOT_IN_COMPOSE: dict[str, str] = {
    "SMARTPROV_TODAY": "pins settings.today() for tests and replays; production follows the clock",
    "SMARTPROV_LOADER_PASSWORD": "docker/warehouse-init.sh exports it from the warehouse_loader_password secret",
    "SMARTPROV_AS_OF_DATE": "not a setting: the dbt runner sets it to settings.today() while dbt runs",
    "SMARTPROV_PORTAL_SECRET": "compose gives the portal its key as a file, SMARTPROV_PORTAL_SECRET_FILE",
    "SMARTPROV_PORTAL_URL": "defaults to SMARTPROV_PUBLIC_BASE_URL (site.env), the address the digest's links use",
}

# The only credential .env carries: compose builds it into the landing Connection's JSON, which
# no secret file can feed. Every password is a secret file (compose `secrets:`).
ENV_CREDENTIALS = {"LANDING_ACCESS_KEY", "LANDING_SECRET_KEY"}

# Names only (for "which variables does the file use"); `interpolate` parses nesting itself.
_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)")


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
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR:+alt} (nested
    ${…} inside defaults and alternatives) and $$ escaping."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i):
            depth, j = 1, i + 2
            while depth:
                if j >= len(text):
                    raise ValueError(f"unclosed ${{ in {text!r}")
                if text.startswith("${", j):
                    depth, j = depth + 1, j + 2
                    continue
                depth -= text[j] == "}"
                j += 1
            out.append(_substitute(text[i + 2 : j - 1], env))
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _substitute(body: str, env: dict[str, str]) -> str:
    m = re.match(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>.*)\Z", body, re.S)
    assert m, f"bad ${{{body}}}"
    name, op, arg = m["name"], m["op"], m["arg"]
    value = env.get(name)
    if op in (":-", "-"):
        return value if value or (op == "-" and value is not None) else interpolate(arg, env)
    if op in (":+", "+"):
        return interpolate(arg, env) if value or (op == "+" and value is not None) else ""
    if op in (":?", "?"):
        if not value and not (op == "?" and value is not None):
            raise LookupError(f"compose would refuse: {name}: {arg}")
    return value or ""


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
    "LANDING_SECRET_KEY": "landing-secret-123",
}


def read_site_env_example() -> dict[str, str]:
    values = {}
    for line in SITE_ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@pytest.fixture(scope="module")
def filled_env() -> dict[str, str]:
    """The .env an operator would write: .env.example with its empty secrets filled in."""
    env = read_env_example()
    for name, value in env.items():
        if not value:
            env[name] = SAMPLE_SECRETS.get(name, "")
    return env


# -- services, healthchecks, dependencies -------------------------------------------------
# Which services exist, their profiles, volumes and start-up order are what `docker compose
# config` (test_compose_accepts_a_site_set_up_as_documented, run in CI) and `make compose-check`
# (the stack up, healthy and smoke-tested) check by running them; the rules below are those a
# healthy start does not show (restart policies, conditions that only matter in a race).
def test_long_running_services_have_healthchecks_and_restart(services):
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck") or {}
        assert check.get("test"), f"{name}: no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert {"interval", "timeout", "retries"} <= set(check), f"{name}: incomplete healthcheck"
        assert services[name].get("restart") in ("always", "unless-stopped"), name


def test_depends_on_uses_the_right_conditions(services):
    for name, service in services.items():
        deps = service.get("depends_on") or {}
        assert isinstance(deps, dict), f"{name}: depends_on needs conditions (long form)"
        for dep, spec in deps.items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert dep != name, f"{name} depends on itself"
            want = "service_completed_successfully" if dep in ONE_SHOT else "service_healthy"
            assert spec.get("condition") == want, f"{name} -> {dep}: condition should be {want}"
            # A service of the default set may wait for a profiled one only if it is optional,
            # or `docker compose up` without that profile refuses to start.
            if dep in PROFILES and name not in PROFILES:
                assert spec.get("required") is False, f"{name} -> {dep} needs required: false"


def test_production_has_no_mail_catcher(services):
    """Without `--profile dev` nothing in the stack is a catcher, and SMTP comes from site.env."""
    default_set = {name for name in services if name not in PROFILES}
    for name in default_set:
        assert "mailpit" not in str(services[name].get("image", "")), name
        for key, value in env_of(services[name]).items():
            assert "mailpit" not in value, f"{name}: {key} points at the catcher"
        assert "AIRFLOW_CONN_SMTP_DEFAULT" not in env_of(services[name]), f"{name}: SMTP is site.env's"
    site = read_site_env_example()
    smtp = json.loads(site["AIRFLOW_CONN_SMTP_DEFAULT"])
    assert smtp["conn_type"] == "smtp" and smtp["host"] != "mailpit"
    assert smtp["extra"]["disable_tls"] is False, "the example relay uses STARTTLS"


def test_dags_run_without_unpausing(services):
    for name in AIRFLOW_SERVICES | CELERY_WORKERS | {"airflow-init"}:
        assert env_of(services[name])["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"].lower() == "false", name


def test_airflow_configuration(services, filled_env):
    for name in AIRFLOW_SERVICES | CELERY_WORKERS | {"airflow-init"}:
        env = env_of(services[name])
        # LocalExecutor unless .env switches every Airflow service to Celery at once
        assert interpolate(env["AIRFLOW__CORE__EXECUTOR"], filled_env) == "LocalExecutor", name
        assert interpolate(env["AIRFLOW__CORE__EXECUTOR"], {"AIRFLOW_EXECUTOR": "CeleryExecutor"}) == (
            "CeleryExecutor"
        )
        assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Jakarta", name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false", name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert "@postgres:5432/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"], name
        assert env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true", name
        # Airflow's secrets: `_CMD` reading a mounted secret file, never a value in the environment.
        for shared in (
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
            "AIRFLOW__CORE__FERNET_KEY",
            "AIRFLOW__API_AUTH__JWT_SECRET",
            "AIRFLOW__API__SECRET_KEY",
            "AIRFLOW__CELERY__RESULT_BACKEND",
        ):
            assert shared not in env, f"{name}: {shared} as a plain value"
            command = env[shared + "_CMD"]
            secret = re.search(r"/run/secrets/(\w+)", command)
            assert secret, f"{name}: {shared}_CMD reads no secret file"
            assert secret.group(1) in services[name]["secrets"], f"{name}: {secret.group(1)} not mounted"
    commands = {name: services[name]["command"] for name in AIRFLOW_SERVICES}
    assert commands == {
        "airflow-apiserver": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
    }


def test_airflow_cmd_options_are_sensitive_ones():
    """Airflow honours `_CMD` only for options it lists as sensitive: check ours are."""
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="smartprov-airflow-"))
    from airflow.configuration import conf

    compose_env = env_of(yaml.safe_load(COMPOSE.read_text())["services"]["airflow-scheduler"])
    cmd_options = {
        tuple(k.removeprefix("AIRFLOW__").removesuffix("_CMD").lower().split("__"))
        for k in compose_env
        if k.startswith("AIRFLOW__") and k.endswith("_CMD")
    }
    assert len(cmd_options) == 5
    assert cmd_options <= set(conf.sensitive_config_values)


def test_airflow_cmd_options_produce_the_values(services, tmp_path):
    """Run each `_CMD` as Airflow does (shlex-split, no shell) against sample secret files."""
    import shlex
    import subprocess

    env = env_of(services["airflow-scheduler"])
    secrets = {
        "airflow_db_password": "db pass:1",
        "airflow_fernet_key": "fk",
        "airflow_jwt_secret": "jw",
        "airflow_api_secret_key": "ak",
    }
    outputs = {}
    for key, command in env.items():
        if not key.endswith("_CMD"):
            continue
        for name, value in secrets.items():
            (tmp_path / name).write_text(value + "\n")
            command = command.replace(f"/run/secrets/{name}", str(tmp_path / name))
        command = interpolate(command, {})
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, check=True)
        outputs[key] = done.stdout  # Airflow takes the output as it is
    assert outputs["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"] == (
        "postgresql+psycopg2://airflow:db pass:1@postgres:5432/airflow"
    )
    assert outputs["AIRFLOW__CORE__FERNET_KEY_CMD"] == "fk"  # no trailing newline
    assert outputs["AIRFLOW__API_AUTH__JWT_SECRET_CMD"] == "jw"
    assert outputs["AIRFLOW__API__SECRET_KEY_CMD"] == "ak"
    assert outputs["AIRFLOW__CELERY__RESULT_BACKEND_CMD"] == (
        "db+postgresql+psycopg2://airflow:db pass:1@postgres:5432/airflow"
    )


def test_secrets_come_from_files(compose, services):
    declared = compose.get("secrets") or {}
    for name, spec in declared.items():
        assert spec["file"].endswith("/" + name), name
    used = set()
    for name, service in services.items():
        mounted = set(service.get("secrets") or [])
        assert mounted <= set(declared), f"{name}: undeclared secrets {mounted - set(declared)}"
        used |= mounted
        for key, value in env_of(service).items():
            if key.endswith("_FILE") and value.startswith("/run/secrets/"):
                assert value.removeprefix("/run/secrets/") in mounted, f"{name}: {key} not mounted"
    assert used == set(declared), f"declared but unused: {set(declared) - used}"
    for db in ("postgres", "warehouse", "marquez-db"):
        env = env_of(services[db])
        assert "POSTGRES_PASSWORD" not in env and env["POSTGRES_PASSWORD_FILE"].startswith("/run/secrets/")
    # make-secrets.sh writes every declared secret.
    script = (ROOT / "docker" / "make-secrets.sh").read_text()
    for name in declared:
        assert name in script, f"docker/make-secrets.sh does not write {name}"


def test_make_secrets_writes_every_secret_once(compose, tmp_path):
    import subprocess

    run = subprocess.run(
        ["sh", str(ROOT / "docker" / "make-secrets.sh")],
        env={**os.environ, "SECRETS_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wrote" in run.stdout
    first = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert set(first) == set(compose["secrets"])
    assert all(len(v.strip()) >= 32 for v in first.values())
    subprocess.run(
        ["sh", str(ROOT / "docker" / "make-secrets.sh")],
        env={**os.environ, "SECRETS_DIR": str(tmp_path)},
        capture_output=True,
        check=True,
    )
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == first, "a re-run must not rotate"
    from cryptography.fernet import Fernet

    Fernet(first["airflow_fernet_key"].strip())


def test_site_env_feeds_every_airflow_container(services):
    for name in AIRFLOW_SERVICES | CELERY_WORKERS | {"airflow-init", "smartprov-cli"}:
        files = services[name].get("env_file") or []
        paths = [f["path"] if isinstance(f, dict) else f for f in files]
        assert "./site.env" in paths, name
    assert SITE_ENV_EXAMPLE.is_file()
    gitignore = (ROOT / ".gitignore").read_text().split()
    assert {"/site.env", "/secrets/"} <= set(gitignore)


def test_reports_are_served_read_only_and_linked(services, filled_env):
    reports = services["reports"]
    mounts = reports["volumes"]
    assert "smartprov-reports:/usr/share/nginx/html:ro" in mounts
    assert reports.get("read_only") is True
    env = env_of(interpolate_tree(services["airflow-scheduler"], filled_env))
    assert env["SMARTPROV_REPORTS_DIR"] == "/opt/smartprov/reports"
    assert "smartprov-reports:/opt/smartprov/reports" in services["airflow-scheduler"]["volumes"]
    base = filled_env["REPORTS_BASE_URL"]
    assert env["SMARTPROV_ALERTS_REPORT_URL"] == f"{base}/{{run_dir}}/report.json"
    assert env["SMARTPROV_ALERTS_DATA_DOCS_URL"] == f"{base}/{{run_dir}}/{{data_docs}}"
    conf = (ROOT / "docker" / "reports-nginx.conf").read_text()
    assert "listen 8080" in conf and "/healthz" in conf and "GET|HEAD" in conf


def test_celery_workers_have_their_own_var_volume(services, filled_env):
    """The `celery` profile: each worker a var/ volume of its own (as on another host), no
    reports volume; what other workers must find goes to SMARTPROV_SHARED_URL."""
    own = set()
    for name in CELERY_WORKERS:
        worker = services[name]
        mounts = {v.split(":")[1]: v.split(":")[0] for v in worker["volumes"]}
        assert mounts["/opt/smartprov/var"] == f"smartprov-{name.removeprefix('airflow-')}-var", name
        assert "smartprov-var" not in mounts.values() and "smartprov-reports" not in mounts.values(), name
        assert mounts["/opt/airflow/auth"] == "airflow-auth", f"{name}: PGPASSFILE lives there"
        assert worker["hostname"] == name, "the worker's name in task_instance.hostname and the log URL"
        assert "celery@$${HOSTNAME}" in worker["healthcheck"]["test"][1]
        own.add(mounts["/opt/smartprov/var"])
    assert len(own) == len(CELERY_WORKERS)
    for name, service in services.items():
        if name not in CELERY_WORKERS:
            sources = {v.split(":")[0] for v in service.get("volumes") or []}
            assert not sources & own, f"{name} mounts a worker's var/ volume"
    env = env_of(services["airflow-scheduler"])
    # site.env's setting: an `environment:` entry, even empty, would override the env_file
    assert "SMARTPROV_SHARED_URL" not in env and "SMARTPROV_SHARED_URL" in read_site_env_example()
    assert interpolate(env["AIRFLOW__CELERY__BROKER_URL"], filled_env) == "redis://redis:6379/0"
    assert "ports" not in services["redis"], "the broker stays on the compose network"
    minio_init = (ROOT / "docker" / "minio" / "minio-init.sh").read_text()
    assert 'smartprov-shared --user "$LANDING_ACCESS_KEY"' in minio_init
    assert env_of(services["minio-init"])["SHARED_BUCKET"] == "${SHARED_BUCKET:-smartprov-shared}"


@pytest.mark.parametrize(
    ("executor", "shared", "starts"),
    [
        ("CeleryExecutor", "s3://smartprov-shared/", True),
        ("LocalExecutor", "s3://smartprov-shared/", False),
        ("CeleryExecutor", "", False),
    ],
)
def test_a_worker_refuses_to_start_half_configured(services, executor, shared, starts):
    """A profile cannot set the other services' executor: the workers check .env did."""
    import subprocess

    command = services["airflow-worker-1"]["command"]
    assert command[:2] == ["bash", "-c"]
    script = interpolate(command[2], {}).replace("exec airflow celery worker", "echo worker starting")
    env = {**os.environ, "AIRFLOW__CORE__EXECUTOR": executor, "SMARTPROV_SHARED_URL": shared}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
    assert (done.returncode == 0) is starts, done.stderr
    assert ("worker starting" in done.stdout) is starts
    if not starts:
        assert "AIRFLOW_EXECUTOR=CeleryExecutor in .env and SMARTPROV_SHARED_URL in site.env" in done.stderr


def test_image_matches_pinned_airflow(services, filled_env):
    pin = re.search(r"^apache-airflow==(\S+)", (ROOT / "requirements.txt").read_text(), re.M)
    assert pin, "requirements.txt pins apache-airflow"
    version = pin.group(1)
    base = re.search(r"^ARG AIRFLOW_IMAGE=(\S+)", DOCKERFILE.read_text(), re.M)
    assert base and base.group(1) == f"apache/airflow:slim-{version}-python3.11"
    assert filled_env["AIRFLOW_IMAGE"] == base.group(1)
    build = services["airflow-init"]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    assert interpolate(build["args"]["AIRFLOW_IMAGE"], {}) == base.group(1)
    assert "PIP_INDEX_URL" in build["args"]
    assert services["warehouse-init"]["image"] == services["airflow-scheduler"]["image"]


def test_the_image_is_built_once(services):
    """One service builds the smartprov image; every other one only names it (a `build:` on
    each would build the same image six times)."""
    image = services["airflow-init"]["image"]
    users = {name for name, service in services.items() if service.get("image") == image}
    assert AIRFLOW_SERVICES | CELERY_WORKERS | {"airflow-init", "warehouse-init", "smartprov-cli"} <= users
    assert [name for name, service in services.items() if "build" in service] == ["airflow-init"]


def test_dockerfile_needs_no_registry_frontend():
    """`# syntax=` makes BuildKit fetch its frontend from Docker Hub before anything else: a site
    with only a package mirror could not build."""
    assert not re.search(r"^#\s*syntax\s*=", DOCKERFILE.read_text(), re.M | re.I)


def test_make_secrets_fills_the_landing_key_in_env(tmp_path):
    """`cp .env.example .env && docker/make-secrets.sh` leaves nothing empty that compose
    requires: the landing key is generated (what minio-init gives the pipeline's user), and a
    key already set is kept."""
    import subprocess

    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text())
    run_env = {**os.environ, "SECRETS_DIR": str(tmp_path / "secrets"), "ENV_FILE": str(env_file)}
    subprocess.run(
        ["sh", str(ROOT / "docker" / "make-secrets.sh")], env=run_env, capture_output=True, check=True
    )
    values = dict(
        line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line and line[0] != "#"
    )
    assert len(values["LANDING_SECRET_KEY"]) >= 32
    compose = yaml.safe_load(COMPOSE.read_text())
    interpolate_tree(compose, values)  # raises LookupError if compose would refuse
    before = env_file.read_text()
    subprocess.run(
        ["sh", str(ROOT / "docker" / "make-secrets.sh")], env=run_env, capture_output=True, check=True
    )
    assert env_file.read_text() == before, "a re-run must not rotate the landing key"


def test_every_image_has_a_versioned_tag(services, filled_env):
    project = re.search(r'^version = "(\S+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    for env in ({}, filled_env):
        for name, service in services.items():
            image = interpolate(service["image"], env)
            repo, _, tag = image.rpartition(":")
            assert repo and tag and tag != "latest" and re.search(r"\d", tag), f"{name}: {image}"
    assert interpolate(services["airflow-scheduler"]["image"], filled_env).endswith(":" + project)


def test_minio_release_has_the_2025_security_fixes(services, filled_env):
    """CVE-2025-62506 (privilege escalation via service accounts/STS) is fixed in
    RELEASE.2025-10-15T17-29-55Z; anything older is refused."""
    for env in ({}, filled_env):
        tag = interpolate(services["minio"]["image"], env).rpartition(":RELEASE.")[2]
        assert tag >= "2025-10-15T17-29-55Z", tag


def test_dockerfile_builds_the_product_only():
    text = DOCKERFILE.read_text()
    assert "pip check" in text
    assert re.search(r"^ARG PIP_INDEX_URL", text, re.M)
    assert not re.search(r"pip install[^\n]*\s-e\s", text), "no editable install in the image"
    assert "--no-build-isolation" in text
    assert "requirements-dev" not in text
    for env in (
        "SMARTPROV_PROJECT_DIR",
        "SMARTPROV_DBT_DIR",
        "SMARTPROV_EXPECTATIONS_DIR",
        "SMARTPROV_CONFIG_DIR",
        "SMARTPROV_VAR_DIR",
    ):
        assert env in text, env


def test_product_requirements_hold_no_test_tools():
    product = {
        m.group(1).lower()
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", (ROOT / "requirements.txt").read_text(), re.M)
    }
    dev = {
        m.group(1).lower()
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", (ROOT / "requirements-dev.txt").read_text(), re.M)
    }
    assert not product & {"pytest", "pytest-timeout", "moto", "aiosmtpd", "ruff"}
    assert {"pytest", "pytest-timeout", "moto", "aiosmtpd", "ruff"} <= dev
    for name in ("requirements.in", "requirements-dev.in"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                assert "==" in line, f"{name}: {line} is not pinned"
    # Where both files pin a package, they agree (dev is constrained by the product).
    pins = lambda path: dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", path.read_text(), re.M))  # noqa: E731
    both = pins(ROOT / "requirements.txt")
    for name, version in pins(ROOT / "requirements-dev.txt").items():
        assert both.get(name, version) == version, name


def test_scripts_and_mounts_exist(services):
    assert (ROOT / "docker" / "airflow-init.sh").is_file()
    assert services["airflow-init"]["command"][-1] == "/opt/smartprov/docker/airflow-init.sh"
    assert services["warehouse-init"]["entrypoint"][-1] == "/opt/smartprov/docker/warehouse-init.sh"
    assert (ROOT / "docker" / "warehouse-init.sh").is_file()
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: bind mount {source} missing"
    for policy in ("pipeline-policy.json", "regency-policy.json", "shared-policy.json"):
        json.loads((ROOT / "docker" / "minio" / policy).read_text())
    assert (ROOT / "docker" / "minio" / "minio-init.sh").is_file()


def test_marquez_reads_its_database_password_from_the_secret(services, tmp_path):
    """Marquez has no `_FILE` variable and its image's built-in config hard-codes the password:
    the service starts its own config, whose password is POSTGRES_PASSWORD, filled by the
    entrypoint from the secret file marquez-db was initialised with. Run that entrypoint (the
    image's script swapped for printenv) and resolve the config as Marquez does."""
    import subprocess

    db, api = services["marquez-db"], services["marquez"]
    secret = env_of(db)["POSTGRES_PASSWORD_FILE"].removeprefix("/run/secrets/")
    assert secret in api["secrets"]
    assert "POSTGRES_PASSWORD" not in env_of(api)
    (tmp_path / secret).write_text("s3cr3t-Pa55_word\n")
    assert api["entrypoint"] == ["/bin/sh", "-c"]
    (command,) = api["command"]
    assert command.endswith("exec /usr/src/app/entrypoint.sh"), "the image's own entrypoint starts Marquez"
    command = interpolate(command, {}).replace(f"/run/secrets/{secret}", str(tmp_path / secret))
    command = command.replace("/usr/src/app/entrypoint.sh", "printenv POSTGRES_PASSWORD")
    done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, check=True)
    password = done.stdout.rstrip("\n")
    assert password == "s3cr3t-Pa55_word"

    config_path = env_of(api)["MARQUEZ_CONFIG"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in api["volumes"]}
    assert config_path in mounts, "MARQUEZ_CONFIG must be the mounted config, not the image's dev file"
    # Marquez substitutes ${VAR} and ${VAR:-default} from its environment before parsing.
    text = (ROOT / mounts[config_path]).read_text()
    config = yaml.safe_load(interpolate(text, {**env_of(api), "POSTGRES_PASSWORD": password}))
    db_env = env_of(db)
    assert config["db"]["password"] == password
    assert config["db"]["user"] == db_env["POSTGRES_USER"]
    assert config["db"]["url"] == f"jdbc:postgresql://marquez-db:5432/{db_env['POSTGRES_DB']}"
    assert config["server"]["adminConnectors"][0]["port"] == 5001  # the healthcheck's port
    assert "5001/healthcheck" in " ".join(api["healthcheck"]["test"])


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
    in_compose = set(read_site_env_example())  # the env_file every Airflow container reads
    for service in services.values():
        in_compose |= set(env_of(service))
    in_compose |= set(re.findall(r"^\s+(SMARTPROV_\w+)=", DOCKERFILE.read_text(), re.M))
    missing = {
        name: where
        for name, where in smartprov_env_reads().items()
        if name not in in_compose and name not in NOT_IN_COMPOSE
    }
    assert not missing, f"read by the code, absent from docker-compose.yml: {missing}"


def test_airflow_services_share_one_environment(services, filled_env):
    reference = env_of(services["airflow-scheduler"])
    for name in AIRFLOW_SERVICES | CELERY_WORKERS | {"airflow-init", "smartprov-cli"}:
        env = env_of(services[name])
        assert {k: env.get(k) for k in reference} == reference, name
    for name in ("SMARTPROV_LANDING_URL", "SMARTPROV_LANDING_CONN_ID", "SMARTPROV_WAREHOUSE_CONN_ID"):
        assert name in reference
    assert interpolate(reference["SMARTPROV_LANDING_URL"], filled_env) == "s3://landing/"
    assert interpolate(
        reference["SMARTPROV_LANDING_URL"], {"LANDING_BUCKET": "b", "LANDING_PREFIX": "p/"}
    ) == ("s3://b/p/")


def test_every_compose_variable_is_documented_in_env_example(compose):
    documented = set(read_env_example())
    referenced = {m["name"] for text in string_values(compose) for m in _VAR.finditer(text.replace("$$", ""))}
    assert referenced <= documented, f"add to .env.example: {sorted(referenced - documented)}"
    unused = documented - referenced
    assert not unused, f".env.example documents variables compose never reads: {sorted(unused)}"


def test_env_example_holds_no_secrets():
    for name, value in read_env_example().items():
        if re.search(r"PASSWORD|SECRET|FERNET|_KEY$", name) and name not in (
            "LANDING_ACCESS_KEY",
            "SECRETS_DIR",
        ):
            assert value == "", f".env.example: {name} must be empty (a placeholder), not {value!r}"
            assert name in ENV_CREDENTIALS, (
                f".env.example: {name} belongs in a secret file (docker/make-secrets.sh)"
            )


def test_no_credentials_written_in_compose(services):
    secret_name = re.compile(r"PASSWORD|SECRET|FERNET|_KEY$")
    checked_urls = 0
    for name, service in services.items():
        for key, value in env_of(service).items():
            if secret_name.search(key) and not key.endswith(("_FILE", "_CMD")):
                assert value.startswith("${"), f"{name}: {key} is written in the file; take it from .env"
                source = re.match(r"\$\{(\w+)", value).group(1)
                assert source in ENV_CREDENTIALS, (
                    f"{name}: {key} from .env; mount a secret file (`secrets:`, *_FILE)"
                )
            for m in re.finditer(r"://([^:/@\s]+)(:[^@\s]*)?@", value):
                checked_urls += 1
                password = m.group(2)
                # `_CMD`: the password is printf's %s, filled from a secret file at run time.
                allowed = (":${", ":%s") if key.endswith("_CMD") else (":${",)
                assert not password or password.startswith(allowed), f"{name}: {key} has a password in a URL"
            if key.startswith("AIRFLOW_CONN_"):
                for field in re.findall(r'"password":\s*"([^"]*)"', value):
                    assert field.startswith("${"), f"{name}: {key} has a literal password"
    assert checked_urls >= 1  # SMARTPROV_WAREHOUSE_URL, at least


def test_missing_secret_stops_compose(compose, filled_env):
    interpolate_tree(compose, filled_env)  # a complete .env interpolates
    for name in SAMPLE_SECRETS:
        with pytest.raises(LookupError, match=name):
            interpolate_tree(compose, {**filled_env, name: ""})


@pytest.fixture(scope="module")
def resolved_connections(compose, filled_env) -> dict[str, dict]:
    """The AIRFLOW_CONN_* values after interpolation with a filled-in .env and the example
    site.env, parsed as JSON."""
    env = env_of(interpolate_tree(compose, filled_env)["services"]["airflow-scheduler"])
    conns = {k: json.loads(v) for k, v in read_site_env_example().items() if k.startswith("AIRFLOW_CONN_")}
    for key, value in env.items():
        if key.startswith("AIRFLOW_CONN_"):
            conns[key] = json.loads(value)
    return conns


def landing_connection(compose, env: dict[str, str]) -> dict:
    resolved = env_of(interpolate_tree(compose, env)["services"]["airflow-scheduler"])
    return json.loads(resolved["AIRFLOW_CONN_SMARTPROV_LANDING"])


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
    assert "password" not in wh, "the loader's password comes from PGPASSFILE"
    landing = resolved_connections["AIRFLOW_CONN_SMARTPROV_LANDING"]
    assert landing["conn_type"] == "aws"
    assert (landing["login"], landing["password"]) == (
        filled_env["LANDING_ACCESS_KEY"],
        filled_env["LANDING_SECRET_KEY"],
    )
    smtp = resolved_connections["AIRFLOW_CONN_SMTP_DEFAULT"]
    assert smtp["conn_type"] == "smtp" and smtp["port"] == 587


def test_empty_endpoint_means_aws_and_minio_is_one_setting(compose, filled_env):
    aws = landing_connection(compose, {**filled_env, "LANDING_ENDPOINT_URL": ""})
    assert "endpoint_url" not in aws["extra"], "an empty endpoint must leave boto3 on AWS"
    assert aws["extra"]["region_name"] == filled_env["LANDING_REGION"]
    minio = landing_connection(compose, {**filled_env, "LANDING_ENDPOINT_URL": "http://minio:9000"})
    assert minio["extra"] == {
        "endpoint_url": "http://minio:9000",
        "region_name": filled_env["LANDING_REGION"],
    }


def test_connections_resolve_through_airflow_outside_a_task(
    compose, filled_env, resolved_connections, monkeypatch
):
    """What airflow-init and the CLI do: Airflow 3 reads the AIRFLOW_CONN_* JSON from the env."""
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="smartprov-airflow-"))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    for key, value in resolved_connections.items():
        monkeypatch.setenv(key, json.dumps(value))
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from airflow.providers.smtp.hooks.smtp import SmtpHook
    from airflow.sdk import BaseHook

    wh = BaseHook.get_connection("smartprov_warehouse")
    assert (wh.conn_type, wh.host, wh.port, wh.schema) == ("postgres", "warehouse", 5432, "smartprov")
    hook = SmtpHook(smtp_conn_id="smtp_default")
    hook.smtp_connection = BaseHook.get_connection("smtp_default")  # what get_conn() does first
    assert (hook.smtp_starttls, hook.use_ssl, hook.smtp_connection.port) == (True, False, 587)
    for endpoint, want in (("", None), ("http://minio:9000", "http://minio:9000")):
        conn = landing_connection(compose, {**filled_env, "LANDING_ENDPOINT_URL": endpoint})
        monkeypatch.setenv("AIRFLOW_CONN_SMARTPROV_LANDING", json.dumps(conn))
        wrapper = S3Hook(aws_conn_id="smartprov_landing").conn_config
        assert wrapper.endpoint_url == want
        assert wrapper.region_name == filled_env["LANDING_REGION"]


def test_warehouse_init_runs_the_roles_setup(services):
    init = services["warehouse-init"]
    script = (ROOT / "docker" / "warehouse-init.sh").read_text()
    assert "exec python -m smartprov.warehouse.pg_roles" in script
    from smartprov.warehouse import pg_roles

    env = env_of(init)
    assert pg_roles.ENV_ADMIN_URL in env
    assert env[pg_roles.ENV_ADMIN_URL].startswith("postgresql://postgres@warehouse:5432/")
    # The loader password the warehouse gets is the secret the pipeline's PGPASSFILE is made from.
    assert f'{pg_roles.ENV_LOADER_PASSWORD}="$(cat /run/secrets/warehouse_loader_password)"' in script
    assert 'PGPASSWORD="$(cat /run/secrets/warehouse_admin_password)"' in script
    assert {"warehouse_admin_password", "warehouse_loader_password"} <= set(init["secrets"])
    airflow_init = (ROOT / "docker" / "airflow-init.sh").read_text()
    assert "/run/secrets/warehouse_loader_password" in airflow_init and "PGPASSFILE" in airflow_init
    assert "warehouse_loader_password" in services["airflow-init"]["secrets"]


def test_pgpass_line_escapes_the_password(tmp_path):
    """airflow-init's pgpass line, run with a password holding ':' and '\\' (libpq escapes)."""
    import subprocess

    script = (ROOT / "docker" / "airflow-init.sh").read_text()
    block = script[script.index('  loader_password="$(sed') : script.index("  umask 077")]
    secret = tmp_path / "pw"
    secret.write_text("a:b\\c\n")
    out = subprocess.run(
        [
            "bash",
            "-c",
            block.replace("/run/secrets/warehouse_loader_password", str(secret))
            + 'printf %s "$loader_password"',
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == "a\\:b\\\\c"


def _init_block(title: str) -> str:
    """The Python heredoc of docker/airflow-init.sh that follows the `== <title>` echo."""
    script = (ROOT / "docker" / "airflow-init.sh").read_text()
    start = script.index("python - <<'PY'\n", script.index(f'echo "== {title}')) + len("python - <<'PY'\n")
    return script[start : script.index("\nPY\n", start)]


def test_init_refuses_to_start_without_a_failure_recipient(tmp_path):
    import subprocess
    import sys

    block = _init_block("alerts")
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SMARTPROV_ALERTS_") and k != "SMARTPROV_CONFIG_DIR"
    }
    base["SMARTPROV_CONFIG_DIR"] = str(tmp_path)  # no config/alerts.yml, as in a fresh image
    nobody = subprocess.run([sys.executable, "-c", block], env=base, capture_output=True, text=True)
    assert nobody.returncode != 0 and "no failure recipient" in nobody.stderr
    site = {k: v for k, v in read_site_env_example().items() if k.startswith("SMARTPROV_ALERTS_")}
    ok = subprocess.run([sys.executable, "-c", block], env={**base, **site}, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert site["SMARTPROV_ALERTS_FAILURE_TO"] in ok.stdout
    off = subprocess.run(
        [sys.executable, "-c", block],
        env={**base, "SMARTPROV_ALERTS_EMAIL_ENABLED": "false"},
        capture_output=True,
        text=True,
    )
    assert off.returncode == 0 and "(e-mail off)" in off.stdout


def test_bulk_regency_users_refuse_codes_without_the_dot():
    """docker/minio/add-regency-users.sh checks every code before touching MinIO: `3201`
    would make every upload UNKNOWN_REGION, so nothing is created."""
    import subprocess

    script = ROOT / "docker" / "minio" / "add-regency-users.sh"
    run = subprocess.run(["sh", str(script)], input="32.01\n3201\n32.7\n", capture_output=True, text=True)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip().endswith(": 3201 32.7")  # the bad ones, not 32.01
    empty = subprocess.run(["sh", str(script)], input="\n# comment\n", capture_output=True, text=True)
    assert empty.returncode == 2 and "no region codes" in empty.stderr
    # the codes it would accept are the seeds' own spelling of regencies
    from smartprov.contract import catalogue as contract

    assert all(re.fullmatch(r"\d{2}\.\d{2}", code) for code in contract.regions())


# -- what Docker Compose itself makes of the file (when it is installed) --------------------------
def _compose_cli() -> list[str] | None:
    """`docker compose`, or Compose v2's plugin binary run on its own (it needs no docker client:
    .ci/run unpacks it into $DOCKER_CONFIG/cli-plugins)."""
    import shutil
    import subprocess

    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    plugin = (
        Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "cli-plugins" / "docker-compose"
    )
    return [str(plugin)] if plugin.is_file() and os.access(plugin, os.X_OK) else None


@pytest.fixture(scope="module")
def compose_config(tmp_path_factory) -> dict:
    """`docker compose config` of a site set up as production.md says (.env from the example,
    make-secrets.sh, site.env from the example), every profile on: compose's own reading."""
    import shutil
    import subprocess

    cli = _compose_cli()
    if cli is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Compose v2 to check the compose file: .ci/run installs it")
        pytest.skip("docker compose is not installed here; make compose-check runs it (docs/production.md)")
    site = tmp_path_factory.mktemp("site")
    shutil.copy(COMPOSE, site / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, site / ".env")
    shutil.copy(SITE_ENV_EXAMPLE, site / "site.env")
    subprocess.run(
        ["sh", str(ROOT / "docker" / "make-secrets.sh")],
        env={**os.environ, "SECRETS_DIR": str(site / "secrets"), "ENV_FILE": str(site / ".env")},
        capture_output=True,
        check=True,
    )
    profiles = [arg for name in ("minio", "dev", "cli", "lineage", "celery") for arg in ("--profile", name)]
    done = subprocess.run(
        [*cli, "--project-directory", str(site), *profiles, "config", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=site,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_compose_accepts_a_site_set_up_as_documented(compose_config):
    services = compose_config["services"]
    assert set(services) == LONG_RUNNING | ONE_SHOT | ON_DEMAND | LINEAGE
    built = [name for name, service in services.items() if "build" in service]
    assert built == ["airflow-init"], "the smartprov image is built once"
    image = services["airflow-init"]["image"]
    for name in AIRFLOW_SERVICES | CELERY_WORKERS | {"warehouse-init", "smartprov-cli"}:
        assert services[name]["image"] == image, name
    landing = json.loads(services["airflow-scheduler"]["environment"]["AIRFLOW_CONN_SMARTPROV_LANDING"])
    assert landing["login"] and len(landing["password"]) >= 32  # filled by make-secrets.sh
    assert services["airflow-scheduler"]["environment"]["AIRFLOW_CONN_SMTP_DEFAULT"]  # from site.env
    for name, service in services.items():
        for secret in service.get("secrets") or []:
            assert Path(compose_config["secrets"][secret["source"]]["file"]).is_file(), f"{name}: {secret}"


def test_the_image_build_imports_modules_that_exist():
    """The image's build ends by importing the core; a module renamed in the code but not in
    the Dockerfile fails every site's build (it did: smartprov.run.pipeline, folded into steps)."""
    import importlib

    imports = re.findall(r'python -c "import ([^"]+)"', DOCKERFILE.read_text())
    assert imports, "the Dockerfile no longer checks that the core imports"
    for line in imports:
        for module in (name.strip() for name in line.split(",")):
            importlib.import_module(module)
