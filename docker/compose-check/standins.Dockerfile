# Stand-ins for the images `make compose-check` cannot pull on a machine without a container
# registry, all built from one Debian base made with debootstrap (docker/compose-check/base.sh).
# Only the check uses them (docker/compose-check/override.yml); real sites pull the official
# images named in docker-compose.yml and .env. One file, one target per stand-in.
ARG BASE_IMAGE=smartprov-check/debian-base:bookworm

# -- the machine's CA bundle: the package registry is reached through its egress proxy -------
FROM ${BASE_IMAGE} AS certs
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# -- apache/airflow:slim-<version>-python3.11, as docker/airflow.Dockerfile uses it: user
# airflow (50000, group 0), pip installing for that user, AIRFLOW_VERSION, `airflow <cmd>` as
# the default entrypoint. Airflow itself is installed by airflow.Dockerfile (it pins it).
FROM certs AS airflow-base
ARG AIRFLOW_VERSION=3.3.2
ENV AIRFLOW_VERSION=${AIRFLOW_VERSION} AIRFLOW_HOME=/opt/airflow \
    PATH=/home/airflow/.venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN useradd --uid 50000 --gid 0 --home-dir /home/airflow --create-home airflow \
 && mkdir -p /opt/airflow && chown airflow:0 /opt/airflow && chmod g+rwX /opt/airflow \
 && python3 -m venv /home/airflow/.venv && chown -R airflow:0 /home/airflow \
 && printf '%s\n' '#!/bin/sh' 'case "$1" in bash|python|python3|sh|"") exec "$@";; *) exec airflow "$@";; esac' \
      > /entrypoint && chmod 0755 /entrypoint
USER airflow
WORKDIR /opt/airflow
ENTRYPOINT ["/entrypoint"]

# -- postgres:16 (here PostgreSQL 15 from Debian): POSTGRES_USER, POSTGRES_PASSWORD_FILE,
# POSTGRES_DB at the first start, data in /var/lib/postgresql/data, pg_isready for health.
FROM certs AS postgres
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENTRYPOINT ["sh", "/usr/local/bin/postgres-entrypoint.sh"]

# -- nginx: Debian's nginx-light, laid out for a read-only root (tmpfs /var/cache/nginx).
FROM certs AS nginx
COPY nginx.conf /etc/nginx/nginx.conf
CMD ["nginx", "-g", "daemon off;"]

# -- the S3 API (moto server) and the mail catcher (aiosmtpd + a small mailpit-like HTTP API)
FROM certs AS tools
ARG MOTO_VERSION=5.2.5
ARG AIOSMTPD_VERSION=1.4.6
RUN python3 -m venv /opt/tools \
 && /opt/tools/bin/pip install --no-cache-dir "moto[server]==${MOTO_VERSION}" "aiosmtpd==${AIOSMTPD_VERSION}"
ENV PATH=/opt/tools/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY mailcatcher.py s3-init.py /opt/tools/
