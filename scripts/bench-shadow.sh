#!/usr/bin/env bash
# Shadow mode's cost (issue 14): `serve` on the embedded quickstart with and without a shadow
# chain as large as the live one (the same configuration over the same state), release build,
# server pinned to core 0 and loadgen to core 1. Runs alternate between the two servers so the
# machine's noise falls on both; then an open loop at half the mean shadowless throughput for
# the latency percentiles. Prints one line per run and the ratios.
#
#   scripts/bench-shadow.sh [RUNS=3] [SECONDS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SECONDS_PER_RUN=${2:-5}
cargo build --release --quiet
BIN=target/release/authz-chain
DIR=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$DIR"' EXIT
cp config-samples/quickstart/authorization-config.yaml "$DIR/shadow.yaml"

start() { # name port [flags...]
    local name=$1 port=$2; shift 2
    taskset -c 0 "$BIN" serve --bind-address 127.0.0.1 --secure-port "$port" \
        --cert-dir "$DIR/certs-$name" "$@" >"$DIR/$name.log" 2>&1 &
    for _ in $(seq 100); do
        [ -s "$DIR/certs-$name/authz-chain-ca.crt" ] && grep -q "serving SubjectAccessReviews" "$DIR/$name.log" && return
        sleep 0.1
    done
    echo "$name did not start" >&2; cat "$DIR/$name.log" >&2; exit 1
}

load() { # name port [loadgen flags...] -> "answers/s p99_us"
    local name=$1 port=$2; shift 2
    taskset -c 1 "$BIN" loadgen --url "https://127.0.0.1:$port/authorize" \
        --ca "$DIR/certs-$name/authz-chain-ca.crt" --duration "${SECONDS_PER_RUN}s" --output json "$@" |
        python3 -c 'import json,sys; r=json.load(sys.stdin); print(round(r["answersPerSecond"]), round(r["latencyMicroseconds"]["p99"]), r["errors"])'
}

start plain 18601
start shadow 18602 --shadow-authorization-config "$DIR/shadow.yaml"

declare -a PLAIN SHADOW
for run in $(seq "$RUNS"); do
    read -r p _ e <<<"$(load plain 18601 --concurrency 64)"
    read -r s _ f <<<"$(load shadow 18602 --concurrency 64)"
    echo "closed loop run $run: without shadow $p/s (errors $e), with shadow $s/s (errors $f)"
    PLAIN+=("$p"); SHADOW+=("$s")
done
mean() { python3 -c 'import sys; v=[float(x) for x in sys.argv[1:]]; print(round(sum(v)/len(v)))' "$@"; }
P=$(mean "${PLAIN[@]}"); S=$(mean "${SHADOW[@]}")
echo "closed loop mean: without $P/s, with $S/s, ratio $(python3 -c "print(round($S/$P, 3))")"

HALF=$(( P / 2 ))
read -r _ p99p e <<<"$(load plain 18601 --concurrency 256 --rate "$HALF")"
read -r _ p99s f <<<"$(load shadow 18602 --concurrency 256 --rate "$HALF")"
echo "open loop at $HALF/s: p99 without $p99p µs (errors $e), with $p99s µs (errors $f), ratio $(python3 -c "print(round($p99s/$p99p, 3))")"
curl -s --cacert "$DIR/certs-shadow/authz-chain-ca.crt" https://127.0.0.1:18602/metrics |
    grep -E '^authz_chain_shadow_(decisions|skipped)_total' || true
