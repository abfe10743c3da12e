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
BIN=${CARGO_TARGET_DIR:-target}/release/authz-chain
DIR=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$DIR"' EXIT
cp config-samples/quickstart/authorization-config.yaml "$DIR/shadow.yaml"

declare -A PID
start() { # name port [flags...]
    local name=$1 port=$2; shift 2
    taskset -c 0 "$BIN" serve --bind-address 127.0.0.1 --secure-port "$port" \
        --cert-dir "$DIR/certs-$name" "$@" >"$DIR/$name.log" 2>&1 &
    PID[$name]=$!
    for _ in $(seq 100); do
        [ -s "$DIR/certs-$name/authz-chain-ca.crt" ] && grep -q "serving SubjectAccessReviews" "$DIR/$name.log" && return
        sleep 0.1
    done
    echo "$name did not start" >&2; cat "$DIR/$name.log" >&2; exit 1
}

cpu_ticks() { # pid -> user+system clock ticks of the whole process
    awk '{print $14 + $15}' "/proc/$1/stat"
}

load() { # name port [loadgen flags...] -> "answers/s p99_us errors server_cpu_us_per_request"
    local name=$1 port=$2; shift 2
    local before after
    before=$(cpu_ticks "${PID[$name]}")
    taskset -c 1 "$BIN" loadgen --url "https://127.0.0.1:$port/authorize" \
        --ca "$DIR/certs-$name/authz-chain-ca.crt" --duration "${SECONDS_PER_RUN}s" --output json "$@" \
        >"$DIR/load.json"
    after=$(cpu_ticks "${PID[$name]}")
    python3 - "$DIR/load.json" "$before" "$after" "$(getconf CLK_TCK)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ticks = int(sys.argv[3]) - int(sys.argv[2])
cpu_us = ticks / int(sys.argv[4]) * 1e6 / max(r["requests"], 1)
print(round(r["answersPerSecond"]), round(r["latencyMicroseconds"]["p99"]), r["errors"], round(cpu_us, 2))
PY
}

start plain 18601
start shadow 18602 --shadow-authorization-config "$DIR/shadow.yaml"

declare -a PLAIN SHADOW CPUP CPUS
for run in $(seq "$RUNS"); do
    read -r p _ e cp <<<"$(load plain 18601 --concurrency 64)"
    read -r s _ f cs <<<"$(load shadow 18602 --concurrency 64)"
    echo "closed loop run $run: without shadow $p/s (errors $e, server CPU $cp µs/request), with shadow $s/s (errors $f, server CPU $cs µs/request)"
    PLAIN+=("$p"); SHADOW+=("$s"); CPUP+=("$cp"); CPUS+=("$cs")
done
mean() { python3 -c 'import sys; v=[float(x) for x in sys.argv[1:]]; print(round(sum(v)/len(v)))' "$@"; }
P=$(mean "${PLAIN[@]}"); S=$(mean "${SHADOW[@]}")
echo "closed loop mean: without $P/s, with $S/s, ratio $(python3 -c "print(round($S/$P, 3))")"
CP=$(python3 -c 'import sys; v=[float(x) for x in sys.argv[1:]]; print(sum(v)/len(v))' "${CPUP[@]}")
CS=$(python3 -c 'import sys; v=[float(x) for x in sys.argv[1:]]; print(sum(v)/len(v))' "${CPUS[@]}")
echo "server CPU per request: without $CP µs, with $CS µs, ratio $(python3 -c "print(round($CS/$CP, 3))") (throughput bound on one core: $(python3 -c "print(round($CP/$CS, 3))") of the shadowless)"

HALF=$(( P / 2 ))
# Open loop at half load, in the order plain, shadow, shadow, plain (each 99th percentile is
# noisy near a scheduler tick; the mirrored order puts any drift on both sides).
declare -a P99P P99S
for order in plain shadow shadow plain; do
    if [ "$order" = plain ]; then
        read -r _ v e _ <<<"$(load plain 18601 --concurrency 256 --rate "$HALF")"; P99P+=("$v")
    else
        read -r _ v e _ <<<"$(load shadow 18602 --concurrency 256 --rate "$HALF")"; P99S+=("$v")
    fi
    echo "open loop at $HALF/s, $order: p99 $v µs (errors $e)"
done
p99p=$(mean "${P99P[@]}"); p99s=$(mean "${P99S[@]}")
echo "open loop mean p99: without $p99p µs, with $p99s µs, ratio $(python3 -c "print(round($p99s/$p99p, 3))")"
curl -s --cacert "$DIR/certs-shadow/authz-chain-ca.crt" https://127.0.0.1:18602/metrics |
    grep -E '^authz_chain_shadow_(decisions|skipped)_total' || true
