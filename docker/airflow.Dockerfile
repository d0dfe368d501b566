# syntax=docker/dockerfile:1
# The Airflow image for smartprov: the official image + the project's pinned requirements +
# the project itself (DAGs, plugins/smartprov, dbt project, expectations) under /opt/smartprov.
#
#   docker compose build          (compose passes AIRFLOW_IMAGE from .env)
#
# The base tag must match the apache-airflow pin in requirements.txt (tests/test_compose.py
# checks it) and Python 3.11, the version requirements.txt is compiled for.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_IMAGE}

ENV SMARTPROV_HOME=/opt/smartprov \
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
# to the image's own version keeps pip from moving Airflow, as Airflow's docs advise.
COPY --chown=airflow:0 requirements.txt /opt/smartprov/requirements.txt
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/smartprov/requirements.txt

# The project. Installed editable so `smartprov` (the CLI) and the repository layout (dbt/,
# expectations/ next to plugins/) are the same as in a checkout.
COPY --chown=airflow:0 . /opt/smartprov
RUN pip install --no-cache-dir --no-deps -e /opt/smartprov \
 && if [ -f /opt/smartprov/dbt/packages.yml ] || [ -f /opt/smartprov/dbt/dependencies.yml ]; then \
        cd /opt/smartprov/dbt && dbt deps; \
    fi \
 && chmod -R g+rwX /opt/smartprov

WORKDIR /opt/smartprov
