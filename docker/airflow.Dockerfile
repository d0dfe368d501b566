# The Airflow image for smartprov: the slim official image + the product's pinned requirements
# (requirements.txt, no test tools) + the smartprov wheel + the project's data (DAGs, dbt
# project, expectations, config) under /opt/smartprov.
#
#   docker compose build          (compose passes AIRFLOW_IMAGE and PIP_INDEX_URL from .env)
#
# No `# syntax=` line: BuildKit would fetch that frontend from Docker Hub before anything else,
# and a site with only a package mirror could not build. The built-in frontend reads this file.
#
# The base tag must match the apache-airflow pin in requirements.txt (tests/test_compose.py
# checks it) and Python 3.11, the version requirements.txt is compiled for. The slim image
# carries Airflow without providers: requirements.txt names every provider, pinned.
ARG AIRFLOW_IMAGE=apache/airflow:slim-3.3.2-python3.11

# -- stage 1: the smartprov wheel, built without network (no build isolation) -------------
FROM ${AIRFLOW_IMAGE} AS wheel
ARG PIP_INDEX_URL=https://pypi.org/simple
ARG SETUPTOOLS_VERSION=84.2.1
ENV PIP_INDEX_URL=${PIP_INDEX_URL} PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --chown=airflow:0 pyproject.toml /tmp/smartprov/pyproject.toml
COPY --chown=airflow:0 plugins/smartprov /tmp/smartprov/plugins/smartprov
RUN pip install --no-cache-dir "setuptools==${SETUPTOOLS_VERSION}" \
 && pip wheel --no-cache-dir --no-deps --no-build-isolation -w /tmp/wheels /tmp/smartprov

# -- stage 2: the runtime image ----------------------------------------------------------
FROM ${AIRFLOW_IMAGE}
# A private or mirrored package index: `docker compose build --build-arg PIP_INDEX_URL=…`
# or PIP_INDEX_URL in .env. Used at build time only (not kept in the image's environment).
ARG PIP_INDEX_URL=https://pypi.org/simple

ENV SMARTPROV_HOME=/opt/smartprov \
    SMARTPROV_PROJECT_DIR=/opt/smartprov \
    SMARTPROV_DBT_DIR=/opt/smartprov/dbt \
    SMARTPROV_EXPECTATIONS_DIR=/opt/smartprov/expectations \
    SMARTPROV_CONFIG_DIR=/opt/smartprov/config \
    SMARTPROV_VAR_DIR=/opt/smartprov/var \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    DO_NOT_TRACK=1 \
    GX_ANALYTICS_ENABLED=false

# /opt/smartprov belongs to airflow:0 and is group-writable, so any AIRFLOW_UID (group 0) can
# write dbt's target/ and the var/ folder.
USER root
RUN mkdir -p /opt/smartprov/var && chown -R airflow:0 /opt/smartprov && chmod -R g+rwX /opt/smartprov
USER airflow

# Dependencies first (a layer that changes only with requirements.txt). Pinning apache-airflow
# to the image's own version keeps pip from moving Airflow, as Airflow's docs advise; `pip
# check` fails the build on any conflict.
COPY --chown=airflow:0 requirements.txt /opt/smartprov/requirements.txt
RUN PIP_INDEX_URL="${PIP_INDEX_URL}" pip install --no-cache-dir \
        "apache-airflow==${AIRFLOW_VERSION}" -r /opt/smartprov/requirements.txt \
 && pip check

# The package as a wheel (no editable install, no build at this stage), then the project's data.
COPY --from=wheel --chown=airflow:0 /tmp/wheels /tmp/wheels
RUN pip install --no-cache-dir --no-deps --no-index /tmp/wheels/smartprov-*.whl \
 && pip check \
 && rm -rf /tmp/wheels
COPY --chown=airflow:0 dags /opt/smartprov/dags
COPY --chown=airflow:0 dbt /opt/smartprov/dbt
COPY --chown=airflow:0 expectations /opt/smartprov/expectations
COPY --chown=airflow:0 config /opt/smartprov/config
COPY --chown=airflow:0 docker /opt/smartprov/docker
RUN if [ -f /opt/smartprov/dbt/packages.yml ] || [ -f /opt/smartprov/dbt/dependencies.yml ]; then \
        cd /opt/smartprov/dbt && PIP_INDEX_URL="${PIP_INDEX_URL}" dbt deps; \
    fi \
 && python -c "import smartprov.cli, smartprov.run.steps, smartprov.run.airflow_tasks" \
 && chmod -R g+rwX /opt/smartprov

WORKDIR /opt/smartprov
