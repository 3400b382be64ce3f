#!/usr/bin/env bash
# A throwaway PostgreSQL server for one run of the tests or benchmarks. Source it, then
# call `postgres_start`: it installs the server from Debian's packages if it is missing
# (without Debian's default cluster, so no service is left behind), creates a cluster in
# a temporary directory, starts it on a free loopback port and exports TONGBAN_POSTGRES,
# the URL of its `postgres` database for the superuser `tongban` (trusted on loopback
# only). The server also speaks TLS, with a certificate for 127.0.0.1 and localhost from
# a certificate authority made for the run, whose PEM file TONGBAN_POSTGRES_CA names.
# `postgres_stop` stops it and removes the directory; call it on exit.

postgres_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

postgres_start() {
  if [ -z "$(postgres_bin)" ] || [ ! -x "$(postgres_bin)/postgres" ]; then
    mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  if ! command -v openssl >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
  fi
  local bin
  bin=$(postgres_bin)
  POSTGRES_DIR=$(mktemp -d)
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # The server refuses to run as root: as root, it runs as Debian's `postgres` account.
  local as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$POSTGRES_DIR"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$POSTGRES_DIR/data" -U tongban --auth=trust --no-instructions >/dev/null
  # TLS: a certificate authority for this run and the server's certificate (P-256).
  local tls="$POSTGRES_DIR/tls"
  mkdir -p "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=tongban test database CA" -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -days 2 -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
  chmod 600 "$tls/server.key"
  [ "$(id -u)" = 0 ] && chown -R postgres "$tls"
  "${as[@]}" "$bin/pg_ctl" -D "$POSTGRES_DIR/data" -l "$POSTGRES_DIR/server.log" -w -o \
    "-p $port -k $POSTGRES_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c ssl=on -c ssl_cert_file=$tls/server.pem -c ssl_key_file=$tls/server.key" start >/dev/null
  export TONGBAN_POSTGRES="postgres://tongban@127.0.0.1:$port/postgres"
  export TONGBAN_POSTGRES_CA="$tls/ca.pem"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, TLS with the authority $TONGBAN_POSTGRES_CA (data in $POSTGRES_DIR)"
}

postgres_stop() {
  [ -n "${POSTGRES_DIR:-}" ] || return 0
  local as=()
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$(postgres_bin)/pg_ctl" -D "$POSTGRES_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$POSTGRES_DIR"
  POSTGRES_DIR=
}
