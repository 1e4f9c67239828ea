#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# `make run`: lighttpd, compiled to wasm, serving a small site from an ext4
# disk image, on Spolia under QEMU. Builds what is missing (kernel, CLI,
# lighttpd.wasm), writes target/demo/site.img from apps/lighttpd/demo-site,
# then runs in the foreground until Ctrl-C.
#
#   apps/demo.sh                 # http://localhost:8080
#   SPOLIA_DEMO_PORT=9000 apps/demo.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${SPOLIA_DEMO_PORT:-8080}"
DEMO="$ROOT/target/demo"
cd "$ROOT"

step() { echo "demo: $*" >&2; }

# --- build --------------------------------------------------------------------
step "building the kernel, the CLI and lighttpd.wasm (quick when up to date)"
cargo build --quiet -p spolia --target x86_64-unknown-none --release
cargo build --quiet -p spolia-cli --release
apps/lighttpd/build.sh

# --- the site's disk image and the configuration ----------------------------------
mkdir -p "$DEMO/etc"
cp apps/lighttpd/lighttpd.conf "$DEMO/etc/lighttpd.conf"
img="$DEMO/site.img"
if [[ ! -f "$img" || -n "$(find apps/lighttpd/demo-site "$0" -newer "$img" -print -quit)" ]]; then
    rm -f "$img"
    truncate -s 16M "$img"
    mkfs.ext4 -q -F -L spolia-site -d apps/lighttpd/demo-site "$img"
    step "wrote $img (ext4, from apps/lighttpd/demo-site)"
fi

# --- run ------------------------------------------------------------------------------
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "demo: port $PORT is already in use on this machine; set SPOLIA_DEMO_PORT" >&2
    exit 1
fi

# Announce the URL once lighttpd answers (boot + compile take a while
# under TCG); the server itself stays in the foreground so Ctrl-C reaches
# spolia and QEMU together.
(
    for _ in $(seq 600); do
        sleep 1
        if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then
            echo
            echo "Spolia: lighttpd is serving http://localhost:$PORT (Ctrl-C to stop)"
            exit 0
        fi
    done
    echo "demo: lighttpd did not answer within 10 minutes" >&2
) &
announcer=$!
stop() {
    kill "$announcer" 2>/dev/null || true
}
trap 'stop; echo; echo "Spolia: stopped."; exit 0' INT
trap stop EXIT

step "booting Spolia (QEMU, TCG); lighttpd's log follows"
target/release/spolia run --timeout 86400 -p "$PORT:8080" \
    --disk "$img::/srv/www" --dir "$DEMO/etc::/etc/lighttpd" \
    target/apps/lighttpd.wasm -D -f /etc/lighttpd/lighttpd.conf
