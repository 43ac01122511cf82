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
