#!/usr/bin/env bash
# Part of `make compose-check`: the one base image the stand-ins are built from, made from
# Debian's packages (no container registry needed): debootstrap bookworm, then `docker import`.
# Skipped when the image exists. Needs root (debootstrap) and the Debian mirror.
set -euo pipefail
name="${CHECK_BASE_IMAGE:-smartprov-check/debian-base:bookworm}"
state="${CHECK_STATE:?}"
if docker image inspect "$name" >/dev/null 2>&1; then
  echo "== base image $name exists" >&2
  exit 0
fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
command -v debootstrap >/dev/null || as_root apt-get install -y -q debootstrap >&2
root="$state/rootfs"
as_root rm -rf "$root"
echo "== debootstrap bookworm -> $name (a few minutes)" >&2
# Python 3.11 (Airflow's and the pins' version), PostgreSQL 15, nginx, and the tools the
# services' healthchecks call (curl, wget, pg_isready).
as_root debootstrap --variant=minbase \
  --include=python3,python3-venv,python3-pip,ca-certificates,curl,wget,postgresql-15,postgresql-client-15,nginx-light,tzdata,procps,libpq5,gosu \
  bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$state/debootstrap.log" 2>&1 \
  || { tail -n 30 "$state/debootstrap.log" >&2; exit 1; }
as_root rm -rf "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/*
as_root tar -C "$root" -c . | docker import - "$name" >&2
as_root rm -rf "$root"
