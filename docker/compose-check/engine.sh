#!/usr/bin/env bash
# Part of `make compose-check` (docker/compose-check.sh): makes sure a Docker engine answers and
# Compose v2 is installed, on a Debian 12 machine where neither may be (docs/operations.md).
#   - no daemon answering: `apt-get install docker.io` if dockerd is missing, then dockerd is
#     started by hand with its own data root and socket under $CHECK_STATE (its PID in
#     $CHECK_STATE/dockerd.pid; compose-check stops it at the end only if it started it);
#   - no `docker compose`: Debian trixie's docker-compose (2.26) and docker-buildx, unpacked into
#     $DOCKER_CONFIG/cli-plugins by compose-plugin.sh.
# Prints the DOCKER_HOST to use on its last line.
set -euo pipefail
state="${CHECK_STATE:?}"
mkdir -p "$state"
export DOCKER_CONFIG="${DOCKER_CONFIG:-$state/docker-config}"
mkdir -p "$DOCKER_CONFIG/cli-plugins"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null; then
    echo "== installing docker.io (Debian)" >&2
    as_root apt-get install -y -q docker.io >&2
  fi
  sock="$state/docker.sock"
  export DOCKER_HOST="unix://$sock"
  if ! docker info >/dev/null 2>&1; then
    echo "== starting dockerd (data root $state/docker-root)" >&2
    # --iptables=false: no rules added to the host's firewall; containers still reach each
    # other by name on compose's own network (stack facts).
    as_root dockerd -H "$DOCKER_HOST" --data-root "$state/docker-root" --exec-root "$state/docker-exec" \
      --pidfile "$state/dockerd.pid" --iptables=false --storage-driver=overlay2 \
      >"$state/dockerd.log" 2>&1 &
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { tail -n 20 "$state/dockerd.log" >&2; exit 1; }
    as_root chmod 0666 "$sock"
  fi
fi

if ! docker compose version >/dev/null 2>&1 || ! docker buildx version >/dev/null 2>&1; then
  echo "== fetching Compose v2 and buildx from Debian trixie (private APT configuration)" >&2
  bash "$(dirname "$0")/compose-plugin.sh" --buildx
fi
docker compose version >&2
echo "DOCKER_HOST=${DOCKER_HOST:-}"
