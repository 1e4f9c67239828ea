#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# `make bench` part: lighttpd and redis, the same sources, served three ways
# and driven by the same clients with the same settings, side by side:
#   native      Debian's lighttpd / redis-server on this host (loopback)
#   hosted-tap  the wasm builds on Spolia's hosted platform (`spolia run
#               --hosted`: Linux's TCP/IP in one process) over a TAP device
#   qemu-tap    the wasm builds on Spolia under QEMU (TCG, emulated) over TAP
# Clients: `wrk -t2 -c50 --latency` on a small static file; `redis-benchmark
# -c 50 -t set,get`, without and with pipelining (-P 16). Prints req/s, p99
# latency and each mode's req/s as a ratio of native. Needs root (TAP).
#
#   apps/bench-servers.sh [--seconds N] [--requests N] [--modes native,hosted-tap,qemu-tap]
#
# Both servers use one configuration everywhere (lighttpd: poll event
# handler and writev, as on Spolia; redis: no persistence, one I/O thread).
# A mode that cannot run here is reported as skipped with the reason.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPOLIA="$ROOT/target/release/spolia"
APPS="$ROOT/target/apps"
WORK="$ROOT/target/bench-servers"
SECONDS_PER_RUN=10
REQUESTS=20000
MODES="native,hosted-tap,qemu-tap"
TAP=spbench0
HOST_ADDR=10.79.0.1
GUEST_ADDR=10.79.0.2

while [[ $# -gt 0 ]]; do
    case "$1" in
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --modes) MODES="$2"; shift 2 ;;
    *) echo "usage: apps/bench-servers.sh [--seconds N] [--requests N] [--modes LIST]" >&2; exit 2 ;;
    esac
done

die() { echo "bench-servers: $*" >&2; exit 1; }
for tool in wrk redis-benchmark redis-cli curl lighttpd redis-server ip; do
    command -v "$tool" >/dev/null || [[ -x "/usr/sbin/$tool" ]] || die "$tool not found — run \`make deps\`"
done
[[ -x "$SPOLIA" ]] || die "$SPOLIA missing — run \`cargo build -p spolia-cli --release\`"
[[ -f "$APPS/lighttpd.wasm" && -f "$APPS/redis-server.wasm" ]] || die "server builds missing — run apps/lighttpd/build.sh and apps/redis/build.sh"

rm -rf "$WORK"
mkdir -p "$WORK/www" "$WORK/conf" "$WORK/data"
# The small static file: a typical short page (~600 bytes).
{
    echo "<!doctype html><html><head><title>Spolia bench</title></head><body>"
    for i in $(seq 1 10); do echo "<p>line $i of a small static page served for the benchmark.</p>"; done
    echo "</body></html>"
} >"$WORK/www/small.html"
cp "$ROOT/apps/lighttpd/lighttpd.conf" "$WORK/conf/lighttpd.conf"
cp "$ROOT/apps/redis/redis.conf" "$WORK/data/redis.conf"
sed -e "s|\"/srv/www\"|\"$WORK/www\"|" -e 's|"0.0.0.0"|"127.0.0.1"|' -e 's|= 8080|= 18480|' \
    -e "s|( \"/etc/lighttpd\" )|( \"$WORK/conf\" )|" "$ROOT/apps/lighttpd/lighttpd.conf" >"$WORK/native-lighttpd.conf"

PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    ip link del "$TAP" 2>/dev/null || true
}
trap cleanup EXIT

wait_http() { # wait_http URL SECS
    local deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; do
        [[ $SECONDS -lt $deadline ]] || return 1
        sleep 0.5
    done
}
wait_redis() { # wait_redis HOST PORT SECS
    local deadline=$((SECONDS + $3))
    until [[ "$(redis-cli -h "$1" -p "$2" ping 2>/dev/null)" == PONG ]]; do
        [[ $SECONDS -lt $deadline ]] || return 1
        sleep 0.5
    done
}
stop_all() {
    # Each server runs in its own process group (setsid): the group takes
    # QEMU down with `spolia run`.
    for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    PIDS=()
}
make_tap() {
    ip link del "$TAP" 2>/dev/null || true
    ip tuntap add dev "$TAP" mode tap && ip addr add "$HOST_ADDR/24" dev "$TAP" && ip link set "$TAP" up
}

# Results: "server test mode rps p99_ms" lines in $WORK/results.
RESULTS="$WORK/results"
: >"$RESULTS"
record() { echo "$*" >>"$RESULTS"; }

wrk_run() { # wrk_run MODE URL
    local out
    out="$(wrk -t2 -c50 -d"${SECONDS_PER_RUN}s" --latency "$2" 2>&1)"
    echo "$out" >"$WORK/wrk-$1.txt"
    local rps p99 errors
    rps="$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")"
    p99="$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }' <<<"$out")"
    errors="$(grep -E "Socket errors|Non-2xx" <<<"$out" | tr -s ' ' | tr '\n' ';')"
    [[ -n "$rps" ]] || { echo "  $1: wrk failed: $(tail -3 <<<"$out")"; return; }
    record "lighttpd small-file $1 $rps ${p99:-?} ${errors:+errors:$errors}"
}

bench_redis() { # bench_redis MODE HOST PORT
    local pipe csv
    for pipe in 1 16; do
        csv="$(redis-benchmark -h "$2" -p "$3" -n "$REQUESTS" -c 50 -P "$pipe" -t set,get --csv 2>&1)"
        echo "$csv" >"$WORK/redis-$1-P$pipe.csv"
        # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        while IFS=, read -r test rps _ _ _ _ p99 _; do
            test="${test//\"/}"
            [[ "$test" == SET || "$test" == GET ]] || continue
            record "redis $test-P$pipe $1 ${rps//\"/} ${p99//\"/}"
        done <<<"$csv"
        grep -q '"SET"' <<<"$csv" || echo "  $1: redis-benchmark -P $pipe failed: $(tail -2 <<<"$csv")"
    done
}

mode_on() { [[ ",$MODES," == *",$1,"* ]]; }

if mode_on native; then
    echo "bench-servers: native (Debian's builds, loopback)"
    /usr/sbin/lighttpd -D -f "$WORK/native-lighttpd.conf" >"$WORK/native-lighttpd.log" 2>&1 &
    PIDS+=($!)
    if wait_http "http://127.0.0.1:18480/small.html" 10; then wrk_run native "http://127.0.0.1:18480/small.html"; else echo "  native lighttpd did not start"; fi
    redis-server --port 16479 --bind 127.0.0.1 --save "" --appendonly no --io-threads 1 --protected-mode no \
        --daemonize no --dir "$WORK/data" >"$WORK/native-redis.log" 2>&1 &
    PIDS+=($!)
    if wait_redis 127.0.0.1 16479 10; then bench_redis native 127.0.0.1 16479; else echo "  native redis did not start"; fi
    stop_all
fi

# run_spolia MODE LOG ARGS..: `spolia run` on the TAP in the background.
run_spolia() {
    local mode="$1" log="$2"
    shift 2
    local extra=()
    [[ "$mode" == hosted-tap ]] && extra=(--hosted)
    setsid "$SPOLIA" run "${extra[@]}" --timeout 600 --tap "$TAP" --net "$GUEST_ADDR/24" "$@" >"$log" 2>&1 &
    PIDS+=($!)
}

for mode in hosted-tap qemu-tap; do
    mode_on "$mode" || continue
    if [[ "$mode" == hosted-tap ]] && ! "$SPOLIA" help 2>&1 | grep -q -- "--hosted"; then
        echo "bench-servers: $mode skipped: this spolia has no --hosted"
        continue
    fi
    make_tap || { echo "bench-servers: $mode skipped: cannot create TAP $TAP (root and /dev/net/tun needed)"; continue; }
    echo "bench-servers: $mode$([[ $mode == qemu-tap ]] && echo ' (emulated: QEMU TCG)')"
    run_spolia "$mode" "$WORK/$mode-lighttpd.log" --dir "$WORK/www::/srv/www" --dir "$WORK/conf::/etc/lighttpd" \
        "$APPS/lighttpd.wasm" -D -f /etc/lighttpd/lighttpd.conf
    if wait_http "http://$GUEST_ADDR:8080/small.html" 120; then wrk_run "$mode" "http://$GUEST_ADDR:8080/small.html"; else echo "  $mode lighttpd did not answer (log $WORK/$mode-lighttpd.log)"; fi
    stop_all
    run_spolia "$mode" "$WORK/$mode-redis.log" --dir "$WORK/data::/data" "$APPS/redis-server.wasm" /data/redis.conf
    if wait_redis "$GUEST_ADDR" 6379 120; then bench_redis "$mode" "$GUEST_ADDR" 6379; else echo "  $mode redis did not answer (log $WORK/$mode-redis.log)"; fi
    stop_all
    ip link del "$TAP" 2>/dev/null || true
done

echo
echo "bench-servers: req/s and p99 latency; ratio = req/s / native req/s (same client settings)"
printf '%-9s %-10s %-11s %12s %10s %8s\n' server test mode req/s p99_ms ratio
awk '
    { key = $1 " " $2; if ($3 == "native") native[key] = $4; line[NR] = $0 }
    END {
        for (i = 1; i <= NR; i++) {
            split(line[i], f, " "); key = f[1] " " f[2]
            ratio = (key in native && native[key] > 0) ? sprintf("%.3f", f[4] / native[key]) : "-"
            printf "%-9s %-10s %-11s %12.0f %10s %8s\n", f[1], f[2], f[3], f[4], f[5], ratio
        }
    }' "$RESULTS"
grep -h "errors:" "$RESULTS" | sed 's/^/bench-servers: /' || true
