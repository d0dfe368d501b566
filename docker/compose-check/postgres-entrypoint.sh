#!/bin/sh
# The official postgres image's first-start contract, for the compose-check stand-in:
# POSTGRES_USER (superuser), POSTGRES_PASSWORD_FILE, POSTGRES_DB; password logins over TCP.
set -eu
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 0700 "$PGDATA"
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  cp "${POSTGRES_PASSWORD_FILE:?}" /tmp/pgpw && chown postgres /tmp/pgpw
  gosu postgres initdb -D "$PGDATA" -U "$user" --pwfile=/tmp/pgpw --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f /tmp/pgpw
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    gosu postgres postgres --single -D "$PGDATA" postgres <<SQL >/dev/null
CREATE DATABASE "$db" OWNER "$user";
SQL
  fi
  echo "postgres stand-in: initialised ($user, database $db)"
fi
exec gosu postgres postgres -D "$PGDATA" -c listen_addresses='*'
