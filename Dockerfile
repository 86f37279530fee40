# One image for every strataflow service of docker-compose.yml: the seed job, the Dagster code
# location, the webserver and the daemon (they differ only in their command).
FROM python:3.11-slim

# uv comes from PyPI like any other package; it uses the image's Python, never downloads one.
RUN pip install --no-cache-dir uv
ENV UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/strataflow/.venv \
    PYTHONUNBUFFERED=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false

WORKDIR /opt/strataflow

# Dependencies first, from the lock file alone: this slow layer is rebuilt only when
# pyproject.toml or uv.lock change, not on every code edit.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project --no-cache

# Then the project. uv installs it in editable mode, so the package keeps finding configs/ and dbt/
# beside platform/ (the paths below are also set explicitly).
COPY README.md workspace.yaml ./
COPY platform/ platform/
COPY configs/ configs/
COPY dbt/ dbt/
RUN uv sync --locked --no-dev --no-cache

# The Dagster instance (PostgreSQL storage, queued runs) and the gRPC workspace of the webserver/daemon.
ENV DAGSTER_HOME=/opt/dagster/home
COPY docker/dagster.yaml /opt/dagster/home/dagster.yaml
COPY docker/workspace.docker.yaml /opt/dagster/workspace.yaml

ENV PATH="/opt/strataflow/.venv/bin:$PATH" \
    VIRTUAL_ENV=/opt/strataflow/.venv \
    STRATAFLOW_CONFIGS=/opt/strataflow/configs \
    STRATAFLOW_DBT_DIR=/opt/strataflow/dbt \
    STRATAFLOW_DBT_BUILD_DIR=/opt/strataflow/dbt-build

# Not root. The code location writes dbt's generated sources, manifest and logs into the dbt build
# folder (dbt/ itself is only read), and runs
# write compute logs below $DAGSTER_HOME/storage (a volume: created here so it is owned by this user).
RUN useradd --create-home --uid 1000 strataflow \
    && mkdir -p /opt/dagster/home/storage /opt/strataflow/dbt-build \
    && chown -R strataflow /opt/dagster/home /opt/strataflow/dbt-build
USER strataflow

# docker-compose.yml gives each service its command; this is the code location's.
EXPOSE 4000
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "strataflow.definitions"]
