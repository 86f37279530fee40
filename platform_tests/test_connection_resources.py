"""dagster-aws and dagster-snowflake resources built from configs/platform.yaml: the lake's and the
warehouse's connection come from them, and secrets appear only as the env var names the config gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import EnvVar

from strataflow.config import load_project
from strataflow.defs.connection_resources import (
    lake_s3_resource,
    s3_connection,
    snowflake_connect_kwargs,
    snowflake_resource,
)
from strataflow.defs.resources import StrataflowResource
from strataflow.warehouse import SnowflakeWarehouse

REPO = Path(__file__).resolve().parents[1]
DOCKER_ENV = {
    "MYSQL_PASSWORD": "m",
    "WAREHOUSE_PASSWORD": "w",
    "STRATAFLOW_PII_SALT": "salt",
    "AWS_ACCESS_KEY_ID": "key-id",
    "AWS_SECRET_ACCESS_KEY": "key-secret",
}
PROD_ENV = {
    "SHOP_MYSQL_HOST": "db",
    "SHOP_MYSQL_USER": "u",
    "SHOP_MYSQL_PASSWORD": "p",
    "LAKE_BUCKET": "lake",
    "SNOWFLAKE_ACCOUNT": "acct",
    "SNOWFLAKE_USER": "loader",
    "SNOWFLAKE_PASSWORD": "sf-secret",
    "SNOWFLAKE_DATABASE": "ANALYTICS",
    "SNOWFLAKE_WAREHOUSE": "LOAD_WH",
    "SNOWFLAKE_ROLE": "LOADER",
    "STRATAFLOW_PII_SALT": "salt",
}


def test_the_s3_lake_connection_comes_from_the_s3_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in DOCKER_ENV.items():
        monkeypatch.setenv(key, value)
    project = load_project(REPO / "configs", "docker")
    s3 = lake_s3_resource(project)
    assert s3 is not None and snowflake_resource(project) is None
    assert s3.endpoint_url == "http://minio:9000" and s3.region_name == "us-east-1"
    # The UI shows the variable, not the secret.
    assert s3.model_dump()["aws_secret_access_key"] == EnvVar("AWS_SECRET_ACCESS_KEY")
    assert s3_connection(s3.process_config_and_initialize())["secret_key"] == "key-secret"


def test_the_local_environment_has_neither_resource() -> None:
    project = load_project(REPO / "configs", "local")
    assert lake_s3_resource(project) is None and snowflake_resource(project) is None


def test_the_snowflake_loader_connects_with_the_snowflake_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in PROD_ENV.items():
        monkeypatch.setenv(key, value)
    project = load_project(REPO / "configs", "prod")
    sf = snowflake_resource(project)
    assert sf is not None
    assert sf.model_dump()["password"] == EnvVar("SNOWFLAKE_PASSWORD")
    with sf.process_config_and_initialize_cm() as initialized:
        kwargs = snowflake_connect_kwargs(initialized)
    assert kwargs == {
        "account": "acct",
        "user": "loader",
        "password": "sf-secret",
        "database": "ANALYTICS",
        "warehouse": "LOAD_WH",
        "role": "LOADER",
    }
    captured: dict = {}

    def init(self: SnowflakeWarehouse, connect_kwargs: dict, stage_dir: Path | None = None) -> None:
        captured.update(connect_kwargs, stage_dir=stage_dir)

    monkeypatch.setattr(SnowflakeWarehouse, "__init__", init)
    monkeypatch.setenv("STRATAFLOW_HOME", "/srv/strataflow-home")
    resource = StrataflowResource(configs_dir=str(REPO / "configs"), env="prod", snowflake=sf)
    with resource.process_config_and_initialize_cm() as initialized:
        assert isinstance(initialized.warehouse(), SnowflakeWarehouse)
    # staged Parquet files go under the project home (a container's volume), not /tmp
    assert captured == kwargs | {"stage_dir": Path("/srv/strataflow-home/snowflake-stage")}


def test_snowflake_stages_its_files_in_the_given_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fakesnow
    import pyarrow as pa

    from strataflow.warehouse import LoadRequest

    put_from: list[Path] = []
    real_put = SnowflakeWarehouse._put

    def put(self: SnowflakeWarehouse, path: Path, location: str) -> None:
        put_from.append(path.parent.parent)
        real_put(self, path, location)

    monkeypatch.setattr(SnowflakeWarehouse, "_put", put)
    data = pa.table({"id": [1, 2, 3], "_partition": ["2025-01-03"] * 3})
    request = LoadRequest("src/shop/orders", "orders", "2025-01-03", "replace_partition", "b1", None, None)
    with fakesnow.patch(), SnowflakeWarehouse({"database": "T"}, file_rows=2, stage_dir=tmp_path / "stage") as wh:
        assert wh.load(request, data.to_reader()).rows == 3
    assert put_from and set(put_from) == {tmp_path / "stage"}
    assert list((tmp_path / "stage").iterdir()) == []  # each load's folder is removed after the upload


def test_the_lake_is_opened_through_the_s3_resource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_endpoint: str, s3_bucket: str
) -> None:
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    for key, value in {**DOCKER_ENV, "S3_ENDPOINT_URL": s3_endpoint, "LAKE_BUCKET": s3_bucket}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("STRATAFLOW_SPOOL_DIR", raising=False)
    monkeypatch.setenv("STRATAFLOW_HOME", str(tmp_path / "home"))
    project = load_project(configs, "docker")
    resource = StrataflowResource(configs_dir=str(configs), env="docker", lake_s3=lake_s3_resource(project))
    with resource.process_config_and_initialize_cm() as initialized:
        storage = initialized.storage()
        assert storage.spool_dir == tmp_path / "home" / "spool"  # not /tmp/strataflow-spool
        storage.write_bytes_atomic("probe/_manifest.json", b"{}")
        assert storage.read_bytes("probe/_manifest.json") == b"{}"
        assert storage.uri("x").startswith(s3_bucket)
