#!/usr/bin/env bash
# Everything the tests need, on a fresh machine, then the tests.
#   bash scripts/test.sh [cargo test arguments]
# Installs PostgreSQL and Chromium if absent, starts a private PostgreSQL
# server on a free loopback port (stopped on exit), and runs `cargo test`
# with FENLIU_TEST_POSTGRES pointing at it; the HTML report test opens its
# page in headless Chromium (FENLIU_CHROMIUM).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_updated=
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  apt-get install -y -qq "$@" >/dev/null
}

chromium=${FENLIU_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "installing Chromium" >&2
  apt_install chromium
  chromium=/usr/bin/chromium
fi

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/postgres" ]; then
  echo "installing PostgreSQL" >&2
  apt_install postgresql
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

pg_dir=$(mktemp -d /tmp/fenliu-pg.XXXXXX)
if [ "$(id -u)" = 0 ]; then chown postgres "$pg_dir"; fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
stop_pg() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_pg EXIT
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
  -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres fenliu_test
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2

export FENLIU_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/fenliu_test"
export FENLIU_REQUIRE_POSTGRES=1
export FENLIU_CHROMIUM="$chromium"
export FENLIU_REQUIRE_CHROMIUM=1
cargo test "$@"
