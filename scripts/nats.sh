#!/usr/bin/env bash
# Throwaway NATS server with JetStream for tests and benchmarks (Debian's nats-server 2.9.10).
#   scripts/nats.sh start DIR   start `nats-server -js` with its store in DIR; prints its URL (nats://127.0.0.1:PORT)
#   scripts/nats.sh stop DIR    stop it and wait until it is gone
# The server listens only on 127.0.0.1, on a free port, without authentication: never use it for real data.
# Notes: docs/nats.md.
set -euo pipefail

log() { echo "nats.sh: $*" >&2; }
die() { log "$*"; exit 1; }

usage() { die "usage: scripts/nats.sh start DIR | scripts/nats.sh stop DIR"; }

[ $# -ge 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
pidfile="$dir/nats.pid"
urlfile="$dir/nats.url"

find_server() {
    # Debian installs it in /usr/sbin, which is not on every user's PATH.
    if command -v nats-server >/dev/null 2>&1; then command -v nats-server
    elif [ -x /usr/sbin/nats-server ]; then echo /usr/sbin/nats-server
    else return 1; fi
}

ensure_installed() {
    find_server >/dev/null && return 0
    [ "$(id -u)" -eq 0 ] || die "nats-server is missing; install it with: sudo apt-get install -y nats-server"
    log "installing nats-server"
    apt-get -o DPkg::Lock::Timeout=600 update >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y nats-server >&2
    # The package enables a system service on 4222 (where systemd runs); we do not need it.
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl stop nats-server >/dev/null 2>&1 || true; fi
    find_server >/dev/null || die "nats-server is still missing after apt-get install"
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

# The monitoring port answers /healthz?js-enabled-only=true once JetStream is up; without curl, a TCP connect to the
# client port that reads the server's INFO line.
answers() {
    local port=$1 mport=$2
    if command -v curl >/dev/null 2>&1; then
        curl -fsS "http://127.0.0.1:$mport/healthz?js-enabled-only=true" >/dev/null 2>&1
    else
        timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 4 <&3" 2>/dev/null | grep -q INFO
    fi
}

running() {
    [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start() {
    local server
    ensure_installed
    server=$(find_server)
    if running && [ -f "$urlfile" ]; then cat "$urlfile"; return 0; fi
    mkdir -p "$dir/store"
    # Another process may take the port between the check and the bind: try the next free one.
    local port=54222 tries=0
    while [ $tries -lt 20 ]; do
        while ! port_free $port; do port=$((port + 1)); done
        local mport=$((port + 1000))
        while ! port_free $mport; do mport=$((mport + 1)); done
        # -js: JetStream; --store_dir keeps its streams in DIR; max_payload stays at the default 1 MB.
        "$server" -js -a 127.0.0.1 -p $port -m $mport --store_dir "$dir/store" -l "$dir/nats.log" -P "$pidfile" \
            </dev/null >/dev/null 2>&1 &
        local pid=$!
        local i=0
        while kill -0 $pid 2>/dev/null; do
            if answers $port $mport; then
                echo $pid >"$pidfile"
                echo "nats://127.0.0.1:$port" >"$urlfile"
                cat "$urlfile"
                return 0
            fi
            i=$((i + 1)); [ $i -lt 120 ] || { kill $pid 2>/dev/null || true; die "server on port $port is not ready; see $dir/nats.log"; }
            sleep 0.25
        done
        tail -n 5 "$dir/nats.log" >&2 || true
        port=$((port + 1)); tries=$((tries + 1))
    done
    die "could not start nats-server; see $dir/nats.log"
}

stop() {
    if running; then
        local pid i=0
        pid=$(cat "$pidfile")
        kill -TERM "$pid"
        while kill -0 "$pid" 2>/dev/null; do
            i=$((i + 1))
            if [ $i -ge 100 ]; then log "nats-server $pid did not stop in 25 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
            sleep 0.25
        done
        rm -f "$pidfile" "$urlfile"
        log "stopped nats-server in $dir"
    else
        rm -f "$pidfile" "$urlfile"
        log "no nats-server running in $dir"
    fi
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
