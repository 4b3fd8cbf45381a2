#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for tests and benchmarks.
#   scripts/pg.sh start DIR [--durable]   create (first time) and start a cluster in DIR; prints its connection string
#   scripts/pg.sh stop DIR                stop it
# The cluster listens only on 127.0.0.1, on a free port, with trust auth: never use it for real data.
# Without --durable it runs with fsync=off (fast tests); --durable keeps PostgreSQL's default durability.
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
log() { echo "pg.sh: $*" >&2; }
die() { log "$*"; exit 1; }

usage() { die "usage: scripts/pg.sh start DIR [--durable] | scripts/pg.sh stop DIR"; }

[ $# -ge 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
durable=no
[ "${3:-}" = "--durable" ] && durable=yes

# initdb and postgres refuse to run as root: as root, run them as the postgres user.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_installed() {
    [ -x "$PGBIN/initdb" ] && return 0
    [ "$(id -u)" -eq 0 ] || die "PostgreSQL 15 is missing; install it with: sudo apt-get install -y postgresql-15"
    log "installing postgresql-15"
    apt-get -o DPkg::Lock::Timeout=600 update >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y postgresql-15 >&2
    # The Debian package starts a system cluster on 5432; we do not need it.
    if command -v pg_ctlcluster >/dev/null 2>&1; then pg_ctlcluster 15 main stop >/dev/null 2>&1 || true; fi
}

# The data directory lives in DIR when the postgres user can reach it; otherwise (DIR under /root, mode 700)
# it lives in a private folder under /tmp whose path DIR/datadir records.
data_dir() {
    if [ -f "$dir/datadir" ]; then cat "$dir/datadir"; else echo "$dir/data"; fi
}

# ss comes with iproute2; slim images lack it, so fall back to the kernel's socket tables.
port_free() {
    if command -v ss >/dev/null 2>&1; then
        ! ss -ltnH "( sport = :$1 )" | grep -q .
    else
        local hex
        hex=$(printf ':%04X ' "$1")
        ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" { print $2 " " }' | grep -q "$hex"
    fi
}

connection_string() {
    echo "Host=127.0.0.1;Port=$1;Username=postgres;Database=postgres"
}

start() {
    ensure_installed
    local data
    data=$(data_dir)
    if [ -f "$data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        connection_string "$(sed -n 4p "$data/postmaster.pid")"
        return 0
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        if [ "$(id -u)" -eq 0 ]; then
            chown postgres:postgres "$dir"
            if ! runuser -u postgres -- test -w "$dir"; then
                data=$(mktemp -d /tmp/lessor-pg.XXXXXX)/data
                echo "$data" >"$dir/datadir"
                chown -R postgres:postgres "$(dirname "$data")"
                log "postgres cannot reach $dir; data directory is $data"
            fi
        fi
        mkdir -p "$data"
        [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
        chmod 700 "$data"
        as_pg "$PGBIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >"$data.initdb.log" 2>&1 \
            || { cat "$data.initdb.log" >&2; die "initdb failed"; }
    fi
    local opts="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$data"
    if [ "$durable" = no ]; then opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
    # Another process may take the port between the check and the bind: try the next free one.
    local port=55432 tries=0
    while [ $tries -lt 20 ]; do
        while ! port_free $port; do port=$((port + 1)); done
        if as_pg "$PGBIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 -o "$opts -p $port" start >/dev/null; then
            local i=0
            until "$PGBIN/pg_isready" -q -h 127.0.0.1 -p $port; do
                i=$((i + 1)); [ $i -lt 120 ] || die "server on port $port is not ready; see $data/server.log"
                sleep 0.5
            done
            connection_string $port
            return 0
        fi
        tail -n 5 "$data/server.log" >&2 || true
        port=$((port + 1)); tries=$((tries + 1))
    done
    die "could not start PostgreSQL; see $data/server.log"
}

stop() {
    local data
    data=$(data_dir)
    [ -x "$PGBIN/pg_ctl" ] || die "PostgreSQL 15 is not installed"
    if [ -f "$data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
        log "stopped cluster in $data"
    else
        log "no cluster running in $data"
    fi
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
