#!/usr/bin/env bash
# Compose v2 for a Debian 12 machine that has none: Debian trixie's docker-compose (2.26; and
# docker-buildx with `--buildx`), fetched with `apt-get download` under a private APT
# configuration (nothing is added to the system's sources) and unpacked into
# $DOCKER_CONFIG/cli-plugins. The binaries need only libc. Used by compose-check (engine.sh)
# and by CI, where `docker compose config` then checks the compose file (tests/test_compose.py).
#   DOCKER_CONFIG=DIR CHECK_STATE=DIR bash docker/compose-check/compose-plugin.sh [--buildx]
set -euo pipefail
state="${CHECK_STATE:?}"
plugins="${DOCKER_CONFIG:?}/cli-plugins"
packages=(docker-compose)
[ "${1:-}" = "--buildx" ] && packages+=(docker-buildx)
mkdir -p "$plugins"
apt_dir="$state/apt-trixie"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc" "$apt_dir/debs"
: > "$apt_dir/status"
echo "deb http://deb.debian.org/debian trixie main" > "$apt_dir/etc/sources.list"
cat > "$apt_dir/apt.conf" <<CONF
Dir::State "$apt_dir";
Dir::State::lists "$apt_dir/lists";
Dir::State::status "$apt_dir/status";
Dir::Cache "$apt_dir/cache";
Dir::Etc::sourcelist "$apt_dir/etc/sources.list";
Dir::Etc::sourceparts "-";
CONF
APT_CONFIG="$apt_dir/apt.conf" apt-get update -q >&2
(cd "$apt_dir/debs" && chmod 0777 . && APT_CONFIG="$apt_dir/apt.conf" apt-get download "${packages[@]}" >&2)
for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$apt_dir/root"; done
for plugin in "${packages[@]}"; do
  install -m 0755 "$apt_dir/root/usr/libexec/docker/cli-plugins/$plugin" "$plugins/$plugin"
done
