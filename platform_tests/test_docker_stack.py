"""The Docker stack's files agree with each other and with configs/ (no Docker engine needed).

docker-compose.yml, the Dockerfile, docker/ and .env.example are wired by names (services, env vars,
paths, ports); these tests catch a rename on one side only, and literal secrets.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from strataflow.config import load_project

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"
DOCKER_DIR = REPO / "docker"

STRATAFLOW_SERVICES = ("seed", "code-location", "webserver", "daemon")
EXPECTED_SERVICES = ("mysql", "minio", "minio-buckets", "postgres", *STRATAFLOW_SERVICES)
WORKSPACE_IN_IMAGE = "/opt/dagster/workspace.yaml"

# Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}; `$${`
# is an escaped `${` left for the container's shell.
_COMPOSE_REF = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
# configs/platform.yaml references (strataflow.config.envsubst): ${VAR} or ${VAR:-default}.
_CONFIG_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")
_SECRET_WORDS = ("PASSWORD", "SECRET", "SALT")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    # safe_load resolves the `<<: *strataflow` merge keys, as compose does.
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the `- NAME=value` form
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command") or []
    return cmd.split() if isinstance(cmd, str) else [str(c) for c in cmd]


def interpolate(value: str) -> str:
    """What compose would make of value, with every required (`:?`) variable set to a dummy."""

    def repl(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        return arg if op in (":-", "-") else f"dummy-{name.lower()}"

    return _COMPOSE_REF.sub(repl, value).replace("$$", "$")


def docker_env_required_vars() -> set[str]:
    """The ${VAR}s that environments.docker of configs/platform.yaml reads without a default."""
    docker_env = yaml.safe_load((REPO / "configs" / "platform.yaml").read_text())["environments"]["docker"]
    text = yaml.safe_dump(docker_env)
    return {m.group(1) for m in _CONFIG_REF.finditer(text) if m.group(2) is None}


def env_example_names() -> list[str]:
    """Names set in .env.example, including the optional ones shown commented out."""
    return re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, args = line.partition(" ")
            pairs.append((keyword.upper(), " ".join(args.split())))
    return pairs


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, args in dockerfile_instructions():
        if keyword == "ENV":
            env.update(re.findall(r'([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)', args))
    return {k: v.strip('"') for k, v in env.items()}


def test_every_expected_service_exists(services: dict[str, Any]) -> None:
    missing = [name for name in EXPECTED_SERVICES if name not in services]
    assert not missing, f"docker-compose.yml lacks services {missing}"


def test_strataflow_services_share_one_image_and_the_docker_environment(services: dict[str, Any]) -> None:
    builds = {name: (repr(services[name].get("build")), services[name].get("image")) for name in STRATAFLOW_SERVICES}
    assert len(set(builds.values())) == 1, f"strataflow services must use one build/image: {builds}"
    assert services["seed"].get("build"), "the strataflow image is built from the Dockerfile"
    for name in STRATAFLOW_SERVICES:
        assert environment(services[name]).get("STRATAFLOW_ENV") == "docker", name


def test_docker_environment_variables_are_provided(services: dict[str, Any]) -> None:
    required = docker_env_required_vars()
    assert required, "expected environments.docker to read some ${VAR} without a default (its secrets)"
    for name in STRATAFLOW_SERVICES:
        missing = sorted(required - environment(services[name]).keys())
        assert not missing, f"service {name} lacks {missing}, read by environments.docker of configs/platform.yaml"


def test_compose_environment_loads_the_docker_environment(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service environment, as compose would resolve it, is enough to load STRATAFLOW_ENV=docker."""
    for key in list(os.environ):  # no accidental help from the test runner's environment
        if key.startswith(("MYSQL_", "WAREHOUSE_", "LAKE_", "S3_", "STRATAFLOW_", "AWS_")):
            monkeypatch.delenv(key)
    env = {k: interpolate(v) for k, v in environment(services["code-location"]).items()}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    project = load_project(REPO / "configs", env["STRATAFLOW_ENV"])
    wh = project.environment.warehouse
    assert (wh.kind, wh.host, wh.database) == ("postgres", "postgres", env["WAREHOUSE_DATABASE"])
    assert project.environment.sources["shop"].host == "mysql"
    assert project.environment.lake.kind == "s3"


def test_code_location_matches_the_docker_workspace(services: dict[str, Any]) -> None:
    workspace = yaml.safe_load((DOCKER_DIR / "workspace.docker.yaml").read_text())
    [entry] = workspace["load_from"]
    grpc = entry["grpc_server"]
    cmd = command(services["code-location"])
    assert "strataflow.definitions" in cmd, cmd
    assert cmd[cmd.index("-m") + 1] == "strataflow.definitions"
    port_flag = "--port" if "--port" in cmd else "-p"
    host_flag = "--host" if "--host" in cmd else "-h"
    assert int(cmd[cmd.index(port_flag) + 1]) == grpc["port"], "the gRPC port differs from the workspace's"
    assert cmd[cmd.index(host_flag) + 1] == "0.0.0.0", "the code server must listen beyond its container"
    assert grpc["host"] == "code-location", "the workspace must name the code-location service as host"
    assert grpc["host"] in services


def test_webserver_and_daemon_share_the_workspace_and_dagster_home(services: dict[str, Any]) -> None:
    image_env = dockerfile_env()
    workspaces, homes = set(), set()
    for name in ("webserver", "daemon"):
        cmd = command(services[name])
        assert "-w" in cmd, f"{name} must be given the gRPC workspace (else it loads ./workspace.yaml)"
        workspaces.add(cmd[cmd.index("-w") + 1])
        homes.add(environment(services[name]).get("DAGSTER_HOME", image_env.get("DAGSTER_HOME")))
    assert workspaces == {WORKSPACE_IN_IMAGE}
    assert homes == {"/opt/dagster/home"}
    assert command(services["daemon"])[:2] == ["dagster-daemon", "run"]
    assert command(services["webserver"])[0] == "dagster-webserver"


def test_dagster_instance_uses_postgres_from_the_environment(services: dict[str, Any]) -> None:
    instance = yaml.safe_load((DOCKER_DIR / "dagster.yaml").read_text())
    db = instance["storage"]["postgres"]["postgres_db"]
    env_vars = {db[field]["env"] for field in ("hostname", "username", "password", "db_name")}
    assert env_vars == {"DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"}
    # Pinned: with SQLAlchemy 2.1 a bare postgresql:// means psycopg 3, which fails dagster's NOTIFY.
    assert db.get("scheme") == "postgresql+psycopg2"
    assert instance["run_coordinator"]["class"] == "QueuedRunCoordinator"
    for name in STRATAFLOW_SERVICES:
        missing = sorted(env_vars - environment(services[name]).keys())
        assert not missing, f"service {name} lacks {missing} (docker/dagster.yaml)"
    # The names point at the postgres service and the database its image creates.
    env = environment(services["daemon"])
    pg = environment(services["postgres"])
    assert env["DAGSTER_PG_HOST"] == "postgres"
    assert env["DAGSTER_PG_DB"] == pg["POSTGRES_DB"]
    assert env["DAGSTER_PG_USER"] == pg["POSTGRES_USER"]


def test_dagster_instance_config_is_valid(services: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """dagster's own schema check of docker/dagster.yaml (no database connection)."""
    from dagster._core.instance.config import dagster_instance_config

    for key, value in environment(services["daemon"]).items():
        monkeypatch.setenv(key, interpolate(value))
    config, _ = dagster_instance_config(str(DOCKER_DIR), config_filename="dagster.yaml")
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"


def test_datastores_match_what_strataflow_connects_to(services: dict[str, Any]) -> None:
    env = environment(services["code-location"])
    mysql = environment(services["mysql"])
    assert (env["MYSQL_HOST"], env["MYSQL_USER"], env["MYSQL_DATABASE"]) == (
        "mysql",
        mysql["MYSQL_USER"],
        mysql["MYSQL_DATABASE"],
    )
    assert env["MYSQL_PASSWORD"] == mysql["MYSQL_PASSWORD"]
    pg = environment(services["postgres"])
    assert (env["WAREHOUSE_HOST"], env["WAREHOUSE_USER"]) == ("postgres", pg["POSTGRES_USER"])
    assert env["WAREHOUSE_PASSWORD"] == pg["POSTGRES_PASSWORD"]
    # docker/postgres-init.sql creates the warehouse database (POSTGRES_DB only creates Dagster's).
    init_sql = (DOCKER_DIR / "postgres-init.sql").read_text()
    assert re.search(rf"CREATE DATABASE\s+{env['WAREHOUSE_DATABASE']}\b", init_sql, re.IGNORECASE)
    mounts = [str(v) for v in services["postgres"].get("volumes", [])]
    assert any(m.startswith("./docker/postgres-init.sql:/docker-entrypoint-initdb.d/") for m in mounts), mounts
    minio = environment(services["minio"])
    assert env["S3_ENDPOINT_URL"].startswith("http://minio:")
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == (
        minio["MINIO_ROOT_USER"],
        minio["MINIO_ROOT_PASSWORD"],
    )
    assert environment(services["minio-buckets"])["LAKE_BUCKET"] == env["LAKE_BUCKET"]


def test_seed_creates_the_demo_source_in_mysql(services: dict[str, Any]) -> None:
    cmd = " ".join(command(services["seed"]))
    assert "strataflow demo-source" in cmd
    assert re.search(r"--mysql-url \S*mysql://\S*@\S+:3306/", cmd), cmd
    for option in ("--scale 5000", "--days 5", "--change-days 2"):
        assert option in cmd


def test_depends_on_references_existing_services_in_order(services: dict[str, Any]) -> None:
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {dep: {"condition": "service_started"} for dep in depends}
        for dep, spec in depends.items():
            assert dep in services, f"{name} depends on unknown service {dep}"
            assert spec.get("condition", "service_started") in conditions
            if spec.get("condition") == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep} to be healthy: it has no healthcheck"
    for name in ("mysql", "postgres", "minio"):
        assert "healthcheck" in services[name], name

    def condition(service: str, dep: str) -> str | None:
        return (services[service].get("depends_on") or {}).get(dep, {}).get("condition")

    assert condition("seed", "mysql") == "service_healthy"
    assert condition("minio-buckets", "minio") == "service_healthy"
    assert condition("code-location", "postgres") == "service_healthy"
    assert condition("code-location", "seed") == "service_completed_successfully"
    assert condition("code-location", "minio-buckets") == "service_completed_successfully"
    for name in ("webserver", "daemon"):
        assert condition(name, "postgres") == "service_healthy"
        assert condition(name, "code-location") in {"service_started", "service_healthy"}


def _walk(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [item for k, v in node.items() for item in _walk(v, f"{path}.{k}" if path else str(k))]
    if isinstance(node, list):
        return [item for i, v in enumerate(node) for item in _walk(v, f"{path}[{i}]")]
    return [(path, node)]


def compose_refs(compose: dict[str, Any]) -> list[re.Match[str]]:
    """Every interpolation in the file's values (comments are not interpolated, so they do not count)."""
    return [m for _, value in _walk(compose) if isinstance(value, str) for m in _COMPOSE_REF.finditer(value)]


def test_no_literal_secrets_in_the_compose_file(compose: dict[str, Any]) -> None:
    bad = []
    for path, value in _walk(compose):
        key = path.rsplit(".", 1)[-1].upper()
        if any(word in key for word in _SECRET_WORDS) and not re.fullmatch(r"\$\{[A-Z_][A-Z0-9_]*[^}]*\}", str(value)):
            bad.append(f"{path}={value!r}")
    assert not bad, f"secrets must be ${{VAR}} references to .env: {bad}"
    # Required secrets stop compose with a message instead of starting with an empty password.
    for m in compose_refs(compose):
        if any(word in m.group(1) for word in _SECRET_WORDS):
            assert m.group(2) == ":?", f"${{{m.group(1)}}} must be written ${{{m.group(1)}:?...}}"


def test_env_example_matches_the_compose_file(compose: dict[str, Any]) -> None:
    used = {m.group(1) for m in compose_refs(compose)}
    names = env_example_names()
    assert names, ".env.example names no variable"
    assert len(names) == len(set(names)), f"duplicates in .env.example: {names}"
    unused = sorted(set(names) - used)
    assert not unused, f".env.example names variables docker-compose.yml never uses: {unused}"
    required = {m.group(1) for m in compose_refs(compose) if m.group(2) in (":?", "?")}
    missing = sorted(required - set(names))
    assert not missing, f"docker-compose.yml requires {missing}: list them in .env.example"


def test_dockerfile_installs_from_the_lock_file_and_copies_the_project() -> None:
    steps = dockerfile_instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    copies = [args for keyword, args in steps if keyword == "COPY"]
    runs = [(i, args) for i, (keyword, args) in enumerate(steps) if keyword == "RUN"]
    syncs = [(i, args) for i, args in runs if "uv sync" in args]
    assert any("pip install" in args and "uv" in args.split() for _, args in runs), "uv is installed from PyPI"
    assert syncs and all("--locked" in args for _, args in syncs), "uv sync must use --locked"
    # The lock-only layer comes first, so code edits do not reinstall every dependency.
    lock_files = {"pyproject.toml", "uv.lock"}
    lock_copy = next(i for i, (k, a) in enumerate(steps) if k == "COPY" and lock_files <= set(a.split()))
    first_sync, first_args = syncs[0]
    assert lock_copy < first_sync and "--no-install-project" in first_args
    assert any("--no-install-project" not in args for _, args in syncs), "the project itself is installed too"
    for folder in ("platform/", "configs/", "dbt/"):
        assert any(folder in args.split() for args in copies), f"the image needs {folder}"
    assert any(f"docker/workspace.docker.yaml {WORKSPACE_IN_IMAGE}" in args for args in copies)
    env = dockerfile_env()
    assert any(f"docker/dagster.yaml {env['DAGSTER_HOME']}/dagster.yaml" in args for args in copies)
    assert "/opt/strataflow/.venv/bin" in env["PATH"].split(":")


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()}
    for entry in (".venv", ".strataflow", "dbt/target", ".git", ".env"):
        assert entry in ignored, f".dockerignore should list {entry}"


def _compose_cli() -> list[str]:
    """`docker compose` (the plugin), else a standalone `docker-compose`; skip when neither runs."""
    tried = []
    candidates = [[d, "compose"] for d in filter(None, [shutil.which("docker")])]
    candidates += [[d] for d in filter(None, [shutil.which("docker-compose")])]
    for cli in candidates:
        probe = subprocess.run([*cli, "version"], capture_output=True, text=True, timeout=60)
        if probe.returncode == 0:
            return [*cli, "--project-directory", str(REPO), "-f", str(COMPOSE_FILE)]
        tried.append(f"{' '.join(cli)}: {(probe.stderr or probe.stdout).strip().splitlines()[:1]}")
    pytest.skip(f"no compose client here (the docker compose plugin is not installed): {tried or 'no docker'}")


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    """The compose client's own validation (needs the compose plugin, not an engine)."""
    cli = _compose_cli()
    empty = tmp_path / "empty.env"
    empty.write_text("")
    base = {k: v for k, v in os.environ.items() if k not in env_example_names()}
    # Fill in what .env.example asks for; the optional (commented) ports keep their defaults.
    asked = re.findall(r"^([A-Z_][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE)
    filled = {**base, **{name: f"test-{name.lower()}" for name in asked}}
    ok = subprocess.run([*cli, "--env-file", str(empty), "config", "-q"], env=filled, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    # Without .env the required secrets stop it, with the hint.
    bare = subprocess.run([*cli, "--env-file", str(empty), "config", "-q"], env=base, capture_output=True, text=True)
    assert bare.returncode != 0 and "set it in .env" in bare.stderr, bare.stderr


# ---------------------------------------------------------------- the stack's contract, service by service

# What each service must keep: image (prefix), a word of its command or entrypoint, env names, the
# services it waits for, and whether it has a health check. A service that loses any of these fails.
DAGSTER_ENV = {
    "STRATAFLOW_ENV",
    "DAGSTER_PG_HOST",
    "DAGSTER_PG_USER",
    "DAGSTER_PG_PASSWORD",
    "DAGSTER_PG_DB",
    "COMPUTE_LOGS_BUCKET",
    "S3_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "LAKE_BUCKET",
    "MYSQL_HOST",
    "MYSQL_PASSWORD",
    "WAREHOUSE_HOST",
    "WAREHOUSE_PASSWORD",
    "STRATAFLOW_PII_SALT",
}
CONTRACT: dict[str, dict[str, Any]] = {
    "mysql": {
        "image": "mysql:",
        "env": {"MYSQL_ROOT_PASSWORD", "MYSQL_DATABASE", "MYSQL_USER", "MYSQL_PASSWORD"},
        "depends_on": set(),
        "healthcheck": True,
    },
    "seed": {"image": "strataflow:", "command": "demo-source", "env": DAGSTER_ENV, "depends_on": {"mysql"}},
    "minio": {
        "image": "quay.io/minio/minio:",
        "command": "server",
        "env": {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"},
        "depends_on": set(),
        "healthcheck": True,
    },
    "minio-buckets": {
        "image": "quay.io/minio/mc:",
        "command": "COMPUTE_LOGS_BUCKET",
        "env": {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "LAKE_BUCKET", "COMPUTE_LOGS_BUCKET"},
        "depends_on": {"minio"},
    },
    "postgres": {
        "image": "postgres:",
        "env": {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"},
        "depends_on": set(),
        "healthcheck": True,
    },
    "code-location": {
        "image": "strataflow:",
        "command": "code-server",
        "env": DAGSTER_ENV,
        "depends_on": {"postgres", "minio-buckets", "seed"},
        "healthcheck": True,
    },
    "webserver": {
        "image": "strataflow:",
        "command": "dagster-webserver",
        "env": DAGSTER_ENV,
        "depends_on": {"postgres", "code-location"},
    },
    "daemon": {
        "image": "strataflow:",
        "command": "dagster-daemon",
        "env": DAGSTER_ENV,
        "depends_on": {"postgres", "code-location"},
    },
}


def contract_violations(services: dict[str, Any]) -> list[str]:
    problems = []
    for name, want in CONTRACT.items():
        service = services.get(name)
        if service is None:
            problems.append(f"{name}: service missing")
            continue
        if not str(service.get("image", "")).startswith(want["image"]):
            problems.append(f"{name}: image {service.get('image')!r} is not {want['image']}...")
        if "command" in want:
            words = " ".join(command(service) + [str(w) for w in service.get("entrypoint") or []])
            if want["command"] not in words:
                problems.append(f"{name}: command/entrypoint lost {want['command']!r}")
        if missing := want["env"] - set(environment(service)):
            problems.append(f"{name}: environment lost {sorted(missing)}")
        depends = set(service.get("depends_on") or {})
        if depends != want["depends_on"]:
            problems.append(f"{name}: depends_on {sorted(depends)} is not {sorted(want['depends_on'])}")
        if want.get("healthcheck") and not service.get("healthcheck"):
            problems.append(f"{name}: health check lost")
    return problems


def test_every_service_keeps_its_image_command_env_and_dependencies(services: dict[str, Any]) -> None:
    assert contract_violations(services) == []


@pytest.mark.parametrize(
    ("service", "what"),
    [
        ("daemon", "command"),
        ("code-location", "environment"),
        ("webserver", "depends_on"),
        ("minio-buckets", "entrypoint"),
        ("postgres", "healthcheck"),
        ("seed", "image"),
    ],
)
def test_the_contract_fails_when_a_service_loses_a_part(services: dict[str, Any], service: str, what: str) -> None:
    import copy

    broken = copy.deepcopy(services)
    if what == "environment":
        broken[service]["environment"] = {
            k: v for k, v in broken[service]["environment"].items() if k != "COMPUTE_LOGS_BUCKET"
        }
    else:
        broken[service].pop(what)
    assert any(p.startswith(f"{service}:") for p in contract_violations(broken))


def test_compute_logs_go_to_minio_through_dagster_aws(services: dict[str, Any]) -> None:
    instance = yaml.safe_load((DOCKER_DIR / "dagster.yaml").read_text())
    logs = instance["compute_logs"]
    assert (logs["module"], logs["class"]) == ("dagster_aws.s3.compute_log_manager", "S3ComputeLogManager")
    assert logs["config"]["bucket"] == {"env": "COMPUTE_LOGS_BUCKET"}
    assert logs["config"]["endpoint_url"] == {"env": "S3_ENDPOINT_URL"}
    env = environment(services["webserver"])
    assert env["S3_ENDPOINT_URL"] == "http://minio:9000"
    assert env["COMPUTE_LOGS_BUCKET"] == environment(services["minio-buckets"])["COMPUTE_LOGS_BUCKET"]
    from dagster_aws.s3.compute_log_manager import S3ComputeLogManager

    assert set(logs["config"]) <= set(S3ComputeLogManager.config_type())
