#!/usr/bin/env bash
# Installs (Debian packages) and starts the services the tests need, when they are missing or stopped.
# Sourced by test.sh; safe to run again: it does nothing when everything is up.
set -uo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

apt_install() {
  # A fresh machine may have no package lists yet: update once, then try again.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 && return 0
  as_root apt-get update -q >/dev/null 2>&1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

ensure_rabbitmq() {
  export PATH="$PATH:/usr/sbin:/sbin"
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "services: installing rabbitmq-server (Debian package)..."
    apt_install rabbitmq-server || { echo "services: could not install rabbitmq-server" >&2; return 1; }
  fi

  if as_root rabbitmqctl -q await_startup --timeout 5 >/dev/null 2>&1; then
    return 0
  fi

  echo "services: starting RabbitMQ..."
  as_root rabbitmq-server -detached >/dev/null 2>&1 || true
  # The node takes a few seconds to appear; await_startup fails until it does.
  for _ in $(seq 1 60); do
    if as_root rabbitmqctl -q await_startup --timeout 60 >/dev/null 2>&1; then
      echo "services: RabbitMQ is up."
      return 0
    fi
    sleep 1
  done

  echo "services: RabbitMQ did not start; see /var/log/rabbitmq/" >&2
  return 1
}

# PostgreSQL for the store tests: the Debian cluster, and a role "tidings" (password "tidings") that may create the
# databases the tests isolate themselves in. Tests connect to 127.0.0.1:5432 (TIDINGS_POSTGRES overrides).
ensure_postgres() {
  export PATH="$PATH:/usr/sbin:/sbin"
  # The server, not just the client (psql alone also brings /usr/lib/postgresql/N).
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "services: installing postgresql (Debian package)..."
    apt_install postgresql || { echo "services: could not install postgresql" >&2; return 1; }
  fi

  local version
  version=$(basename "$(dirname "$(dirname "$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1)")")")
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}' | grep -qx "$version/main"; then
    as_root pg_createcluster "$version" main >/dev/null
  fi

  if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -qx online; then
    echo "services: starting PostgreSQL $version..."
    as_root pg_ctlcluster "$version" main start || { echo "services: PostgreSQL did not start" >&2; return 1; }
  fi

  for _ in $(seq 1 30); do
    if as_root su postgres -c "psql -qAtc 'SELECT 1'" >/dev/null 2>&1; then
      break
    fi
    sleep 1
  done

  as_root su postgres -c "psql -qAt" >/dev/null <<'SQL' || { echo "services: could not create the tidings role" >&2; return 1; }
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tidings') THEN
    CREATE ROLE tidings LOGIN PASSWORD 'tidings' CREATEDB;
  END IF;
END $$;
SQL
}

# Chromium for the browser tests (Microsoft.Playwright drives Debian's build; it cannot download its own here).
# The tests find it at /usr/bin/chromium (TIDINGS_CHROMIUM overrides).
ensure_chromium() {
  if [ -x "${TIDINGS_CHROMIUM:-/usr/bin/chromium}" ]; then
    return 0
  fi

  echo "services: installing chromium (Debian package)..."
  apt_install chromium || { echo "services: could not install chromium" >&2; return 1; }
}
