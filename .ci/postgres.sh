#!/usr/bin/env bash
# Installs (if needed) and starts Debian's PostgreSQL on 127.0.0.1:5432, with a role and database "kagami"
# (password "kagami") for the persistence tests. Prints the JDBC URL the tests read from
# KAGAMI_TEST_POSTGRES_URL. Idempotent.
set -euo pipefail
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
for i in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p 5432 >/dev/null
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_roles WHERE rolname='kagami'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE kagami LOGIN PASSWORD 'kagami'\""
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_database WHERE datname='kagami'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE DATABASE kagami OWNER kagami\""
echo "jdbc:postgresql://127.0.0.1:5432/kagami?user=kagami&password=kagami"
