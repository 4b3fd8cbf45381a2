#!/usr/bin/env bash
# HAProxy (Debian's package) in front of several `lessor serve` replicas, for tests, benchmarks and a local trial.
#   scripts/haproxy.sh start DIR PORT BACKEND...   write DIR/haproxy.cfg, start HAProxy on 127.0.0.1:PORT, wait until
#                                                 it answers; BACKEND is host:port of a replica (named r1, r2, ...)
#   scripts/haproxy.sh stop DIR                   stop it
#   scripts/haproxy.sh install                    install Debian's haproxy when missing (scripts/test.sh runs it first)
# Settings (environment):
#   LESSOR_HEALTH_PATH   the path each replica is checked on (default /health/ready: 503 while the replica is cut off
#                        from the store or behind it, so the proxy stops sending it requests)
#   LESSOR_PROXY_TIMEOUT_SERVER   how long one answer may take (default 30s: a sign on a large book is not instant)
# The admin socket DIR/haproxy.sock takes runtime commands, e.g. draining a replica for an upgrade:
#   echo "set server replicas/r1 state drain" | socat stdio DIR/haproxy.sock
set -euo pipefail

log() { echo "haproxy.sh: $*" >&2; }
die() { log "$*"; exit 1; }
usage() { die "usage: scripts/haproxy.sh start DIR PORT HOST:PORT... | scripts/haproxy.sh stop DIR"; }

if [ "${1:-}" = install ]; then
    set -- install /tmp
fi
[ $# -ge 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
health=${LESSOR_HEALTH_PATH:-/health/ready}
timeout_server=${LESSOR_PROXY_TIMEOUT_SERVER:-30s}

ensure_installed() {
    command -v haproxy >/dev/null 2>&1 && return 0
    [ -x /usr/sbin/haproxy ] && return 0
    [ "$(id -u)" -eq 0 ] || die "HAProxy is missing; install it with: sudo apt-get install -y haproxy"
    log "installing haproxy"
    apt-get -o DPkg::Lock::Timeout=600 update >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y haproxy >&2
    # Where the package starts a system instance (with an init system), it is not ours: stop it.
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet haproxy 2>/dev/null; then systemctl stop haproxy || true; fi
}

write_config() {
    local port=$1; shift
    {
        cat <<EOF
# Written by scripts/haproxy.sh; rewritten at every start.
global
    maxconn 4096
    stats socket $dir/haproxy.sock mode 600 level admin

defaults
    mode http
    option http-keep-alive
    # Timeouts: connecting to a replica on the same network is quick or it is down; a client that goes quiet is let go.
    timeout connect 1s
    timeout client 30s
    timeout server $timeout_server
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 5s
    timeout check 1s
    # A request that could not reach its replica is tried again, on another replica (redispatch), up to 3 times.
    retries 3
    option redispatch 1

frontend lessor
    bind 127.0.0.1:$port
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET $health
    http-check expect status 200
    # After the request was sent (no answer, a broken connection, a 503 from a replica cut off from its store) only
    # requests that are safe twice are retried: reads, and writes that carry an Idempotency-Key (the store answers a
    # replay with the first result), and health report batches (each report carries its node's seq: a second delivery
    # is answered duplicate), which a replica without the fleet lease answers 503 (docs/deploy.md, "The fleet lease").
    # A connection that was never made is retried for any request.
    retry-on conn-failure empty-response response-timeout 503
    http-request disable-l7-retry unless METH_GET || METH_HEAD || { req.hdr(Idempotency-Key) -m found } || { path /api/v1/fleet/reports }
    # Checked every 500 ms: down after 2 failures (about 1 s), up after 2 successes; sessions on a replica marked down
    # are closed so that its clients reconnect to another at once.
    default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
EOF
        local i=0
        for backend in "$@"; do
            i=$((i + 1))
            echo "    server r$i $backend check"
        done
    } >"$dir/haproxy.cfg"
}

# Sends one HTTP request through the proxy; true once it answers anything (503 too: no replica up is still an answer).
answers() {
    local port=$1 line
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$health" >&3
    IFS= read -r -t 2 line <&3 || line=
    exec 3<&- 3>&-
    [[ $line == HTTP/* ]]
}

start() {
    [ $# -ge 2 ] || usage
    local port=$1; shift
    ensure_installed
    local bin
    bin=$(command -v haproxy || echo /usr/sbin/haproxy)
    stop_running
    write_config "$port" "$@"
    "$bin" -c -q -f "$dir/haproxy.cfg" || die "HAProxy refused $dir/haproxy.cfg"
    # Foreground (-db) in the background, so that its pid is ours to stop and its log is DIR/haproxy.log.
    setsid "$bin" -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 </dev/null &
    echo $! >"$dir/haproxy.pid"
    local i=0
    until answers "$port" 2>/dev/null; do
        i=$((i + 1))
        if ! kill -0 "$(cat "$dir/haproxy.pid")" 2>/dev/null; then cat "$dir/haproxy.log" >&2; die "HAProxy exited"; fi
        [ $i -lt 100 ] || die "HAProxy on 127.0.0.1:$port does not answer; see $dir/haproxy.log"
        sleep 0.1
    done
    echo "http://127.0.0.1:$port"
}

stop_running() {
    [ -f "$dir/haproxy.pid" ] || return 0
    local pid
    pid=$(cat "$dir/haproxy.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        local i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
        log "stopped HAProxy (pid $pid)"
    fi
    rm -f "$dir/haproxy.pid"
}

case "$cmd" in
    start) shift 2; start "$@" ;;
    stop) stop_running ;;
    install) ensure_installed ;;
    *) usage ;;
esac
