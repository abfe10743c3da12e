#!/usr/bin/env bash
# Soak test of `authz-chain serve` (issue 10); not run in CI. Everything stays on 127.0.0.1.
#
#   scripts/soak.sh                      # the 10-minute soak
#   SOAK_SECONDS=150 scripts/soak.sh     # a short run (minute 2 and a last minute exist)
#
# What it does:
#   1. builds the release binary and copies it into the work directory (a rebuild during the
#      run does not change what runs);
#   2. starts a downstream webhook: a second `authz-chain serve`, RBAC over a generated state
#      that lets the group `soak-readers` get/list/watch pods;
#   3. starts the server under test (pinned to SOAK_SERVER_CPU) with the chain
#      [Webhook (that downstream; timeout 1s, failurePolicy NoOpinion, decision cache on with
#      short TTLs), RBAC over config-samples/quickstart/state];
#   4. writes SOAK_REQUESTS distinct SubjectAccessReviews (distinct users, namespaces, names);
#   5. measures the maximum throughput: closed-loop loadgen for SOAK_MAX_SECONDS (pinned to
#      SOAK_CLIENT_CPU, as is the downstream);
#   6. runs loadgen in open loop at half that rate for SOAK_SECONDS. loadgen sends
#      `?timeout=<SOAK_TIMEOUT>` as kube-apiserver does and gives up on a request after that
#      long. Meanwhile:
#        - a downstream fault every SOAK_FAULT_EVERY seconds, alternating a hang (SIGSTOP for
#          SOAK_HANG_SECONDS, then SIGCONT) and a crash (kill -9: resets, then connections
#          refused for SOAK_DOWN_SECONDS, then a restart);
#        - a configuration reload every SOAK_RELOAD_EVERY seconds (the webhook's authorizedTTL
#          toggled between 5s and 6s, the file replaced atomically with mv), first at
#          SOAK_RELOAD_EVERY - 15 s so reloads and faults do not coincide;
#        - the server's VmRSS sampled every second into rss.csv;
#   7. prints a summary and exits 1 unless both checks pass: no request failed or went
#      unanswered (loadgen exits 3 otherwise), and the mean RSS of the last minute is within
#      10% of the mean RSS of the second minute.
#
# Settings (environment):
#   SOAK_SECONDS (600)         open-loop duration, at least 120
#   SOAK_REQUESTS (200000)     distinct requests in the requests file
#   SOAK_MAX_SECONDS (10)      closed-loop run measuring the maximum throughput
#   SOAK_MAX_CONCURRENCY (64)  tasks of that run
#   SOAK_RATE                  open-loop rate [default: half the measured maximum]
#   SOAK_CONCURRENCY (256)     open-loop tasks (the server allows 250 HTTP/2 streams at once
#                              on loadgen's one connection; more would only queue in loadgen)
#   SOAK_TIMEOUT (3s)          loadgen --timeout, sent as ?timeout=
#   SOAK_FAULT_EVERY (30)  SOAK_HANG_SECONDS (5)  SOAK_DOWN_SECONDS (1)  SOAK_RELOAD_EVERY (60)
#   SOAK_SERVER_CPU (0)  SOAK_CLIENT_CPU (1)   taskset CPU lists
#   SOAK_PORT (18443)  SOAK_DOWNSTREAM_PORT (18444)
#   SOAK_DIR                   work directory [default: a new one under /tmp]; kept afterwards
#                              with the logs, rss.csv, events.log and both loadgen reports
#   SOAK_BUILD (1)             0: do not build, use target/release/authz-chain as it is
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_REQUESTS=${SOAK_REQUESTS:-200000}
SOAK_MAX_SECONDS=${SOAK_MAX_SECONDS:-10}
SOAK_MAX_CONCURRENCY=${SOAK_MAX_CONCURRENCY:-64}
SOAK_CONCURRENCY=${SOAK_CONCURRENCY:-256}
SOAK_TIMEOUT=${SOAK_TIMEOUT:-3s}
SOAK_FAULT_EVERY=${SOAK_FAULT_EVERY:-30}
SOAK_HANG_SECONDS=${SOAK_HANG_SECONDS:-5}
SOAK_DOWN_SECONDS=${SOAK_DOWN_SECONDS:-1}
SOAK_RELOAD_EVERY=${SOAK_RELOAD_EVERY:-60}
SOAK_SERVER_CPU=${SOAK_SERVER_CPU:-0}
SOAK_CLIENT_CPU=${SOAK_CLIENT_CPU:-1}
SOAK_PORT=${SOAK_PORT:-18443}
SOAK_DOWNSTREAM_PORT=${SOAK_DOWNSTREAM_PORT:-18444}
SOAK_BUILD=${SOAK_BUILD:-1}
WARMUP=1

die() { echo "soak: $*" >&2; exit 1; }
for tool in jq curl taskset awk; do
  command -v "$tool" >/dev/null || die "needs $tool"
done
[[ $SOAK_SECONDS =~ ^[0-9]+$ && $SOAK_SECONDS -ge 120 ]] ||
  die "SOAK_SECONDS must be a whole number of at least 120 (minute 2 and a last minute)"

DIR=${SOAK_DIR:-$(mktemp -d /tmp/authz-soak.XXXXXX)}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
echo "soak: work directory $DIR"

# --- cleanup: every process this script started, by PID ----------------------------------------
PIDS=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [[ -f $DIR/downstream.pid ]]; then
    local d
    d=$(cat "$DIR/downstream.pid")
    kill -CONT "$d" 2>/dev/null || true
    kill -TERM "$d" 2>/dev/null || true
  fi
  if [[ -n ${SERVER_PID:-} ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; fi
  sleep 1
  for pid in "${PIDS[@]}" ${SERVER_PID:-} $(cat "$DIR/downstream.pid" 2>/dev/null); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- 1. the binary ------------------------------------------------------------------------------
if [[ $SOAK_BUILD != 0 ]]; then
  (cd "$ROOT" && cargo build --release --locked --bin authz-chain)
fi
cp "${CARGO_TARGET_DIR:-$ROOT/target}/release/authz-chain" "$DIR/authz-chain"
BIN=$DIR/authz-chain

wait_healthy() { # URL CA what
  local deadline=$((SECONDS + 30))
  until curl -sf --cacert "$2" "$1" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$3 not healthy within 30 s (see $DIR/*.log)"
    sleep 0.1
  done
}

# --- 2. the downstream webhook ------------------------------------------------------------------
mkdir -p "$DIR/downstream-state" "$DIR/downstream-certs" "$DIR/server-config" "$DIR/server-certs"
cat >"$DIR/downstream-state/soak-rbac.yaml" <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: soak-pod-reader}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: soak-readers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: soak-pod-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: soak-readers}
EOF
cat >"$DIR/downstream.yaml" <<'EOF'
apiVersion: apiserver.config.k8s.io/v1
kind: AuthorizationConfiguration
authorizers:
- type: RBAC
  name: rbac
EOF
DOWNSTREAM_CA=$DIR/downstream-certs/authz-chain-ca.crt
start_downstream() {
  taskset -c "$SOAK_CLIENT_CPU" "$BIN" --log-level warn serve \
    --bind-address 127.0.0.1 --secure-port "$SOAK_DOWNSTREAM_PORT" \
    --cert-dir "$DIR/downstream-certs" --authorization-config "$DIR/downstream.yaml" \
    --state "$DIR/downstream-state" >>"$DIR/downstream.log" 2>&1 &
  echo $! >"$DIR/downstream.pid"
  disown $! # killed on purpose: no "Killed" notice from the shell
  wait_healthy "https://127.0.0.1:$SOAK_DOWNSTREAM_PORT/healthz" "$DOWNSTREAM_CA" downstream
}
start_downstream

# --- 3. the server under test -------------------------------------------------------------------
cat >"$DIR/downstream.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: downstream
  cluster:
    server: https://127.0.0.1:$SOAK_DOWNSTREAM_PORT/authorize
    certificate-authority: $DOWNSTREAM_CA
users:
- name: authz-chain
  user: {}
contexts:
- name: downstream
  context: {cluster: downstream, user: authz-chain}
current-context: downstream
EOF
CONFIG=$DIR/server-config/authorization-config.yaml
write_config() { # authorizedTTL; written beside the file and moved over it (one rename)
  cat >"$CONFIG.tmp" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: AuthorizationConfiguration
authorizers:
- type: Webhook
  name: downstream
  webhook:
    timeout: 1s
    subjectAccessReviewVersion: v1
    failurePolicy: NoOpinion
    authorizedTTL: $1
    unauthorizedTTL: 2s
    connectionInfo:
      type: KubeConfigFile
      kubeConfigFile: $DIR/downstream.kubeconfig
- type: RBAC
  name: rbac
EOF
  mv -f "$CONFIG.tmp" "$CONFIG"
}
write_config 5s
"$BIN" check --authorization-config "$CONFIG" >/dev/null || die "the server configuration does not check"
SERVER_CA=$DIR/server-certs/authz-chain-ca.crt
taskset -c "$SOAK_SERVER_CPU" "$BIN" --log-level warn serve \
  --bind-address 127.0.0.1 --secure-port "$SOAK_PORT" --cert-dir "$DIR/server-certs" \
  --authorization-config "$CONFIG" --state "$ROOT/config-samples/quickstart/state" \
  >"$DIR/server.log" 2>&1 &
SERVER_PID=$!
wait_healthy "https://127.0.0.1:$SOAK_PORT/readyz" "$SERVER_CA" "the server"
URL=https://127.0.0.1:$SOAK_PORT/authorize

# --- 4. distinct requests -----------------------------------------------------------------------
REQUESTS=$DIR/requests.jsonl
# Request i: user soak-user-i; every other one in group soak-readers (so the downstream allows
# about half the pod requests and has no opinion on the rest); verbs get/list/watch/create on
# pods, or get on configmaps; namespace ns-(i mod 5000), name pod-i.
awk -v n="$SOAK_REQUESTS" 'BEGIN {
  for (i = 0; i < n; i++) {
    groups = (i % 2 == 0) ? "\"soak-readers\",\"system:authenticated\"" : "\"system:authenticated\""
    k = i % 5
    if (k == 0) attrs = "\"verb\":\"get\",\"resource\":\"pods\",\"name\":\"pod-" i "\""
    else if (k == 1) attrs = "\"verb\":\"list\",\"resource\":\"pods\""
    else if (k == 2) attrs = "\"verb\":\"watch\",\"resource\":\"pods\""
    else if (k == 3) attrs = "\"verb\":\"create\",\"resource\":\"pods\",\"name\":\"pod-" i "\""
    else attrs = "\"verb\":\"get\",\"resource\":\"configmaps\",\"name\":\"cm-" i "\""
    printf "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{\"user\":\"soak-user-%d\",\"groups\":[%s],\"resourceAttributes\":{\"namespace\":\"ns-%d\",%s}}}\n", i, groups, i % 5000, attrs
  }
}' >"$REQUESTS"
echo "soak: $SOAK_REQUESTS distinct requests in $REQUESTS"

loadgen() {
  taskset -c "$SOAK_CLIENT_CPU" "$BIN" loadgen --url "$URL" --ca "$SERVER_CA" \
    --requests "$REQUESTS" --timeout "$SOAK_TIMEOUT" --warmup "${WARMUP}s" --output json "$@"
}

# --- 5. maximum throughput ----------------------------------------------------------------------
echo "soak: measuring the maximum throughput (closed loop, $SOAK_MAX_CONCURRENCY tasks, ${SOAK_MAX_SECONDS}s)"
max_status=0
loadgen --concurrency "$SOAK_MAX_CONCURRENCY" --duration "${SOAK_MAX_SECONDS}s" \
  >"$DIR/max.json" 2>"$DIR/max.err" || max_status=$?
MAX=$(jq -r '.answersPerSecond | floor' "$DIR/max.json" 2>/dev/null) ||
  die "no report from the closed-loop run: $(cat "$DIR/max.err")"
((max_status == 0)) || echo "soak: warning: $(jq '.errors' "$DIR/max.json") requests failed in the closed-loop run"
RATE=${SOAK_RATE:-$((MAX / 2))}
((RATE > 0)) || die "measured no throughput"
echo "soak: maximum $MAX answers/s; soaking at $RATE/s for ${SOAK_SECONDS}s"
# Let the closed loop's cache entries expire, so the soak starts as it goes on.
sleep 6

# --- 6. the soak --------------------------------------------------------------------------------
EVENTS=$DIR/events.log
: >"$EVENTS"
echo "seconds,rss_kb" >"$DIR/rss.csv"
cpu_seconds() { # user + system CPU time of the server so far
  awk -v tick="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / tick }' "/proc/$SERVER_PID/stat"
}
CPU0=$(cpu_seconds)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(now)
TOTAL=$((WARMUP + SOAK_SECONDS))
loadgen --concurrency "$SOAK_CONCURRENCY" --rate "$RATE" --duration "${SOAK_SECONDS}s" \
  >"$DIR/soak.json" 2>"$DIR/soak.err" &
LOADGEN_PID=$!
PIDS+=("$LOADGEN_PID")

sleep_until() { # seconds after T0
  local left
  left=$(awk -v t0="$T0" -v at="$1" -v n="$(now)" 'BEGIN { l = t0 + at - n; if (l < 0) l = 0; printf "%.3f", l }')
  sleep "$left"
}

( # RSS of the server, every second
  set +e
  i=0
  while :; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null) || break
    echo "$(since "$T0"),$rss" >>"$DIR/rss.csv"
    i=$((i + 1))
    sleep_until "$i"
  done
) &
PIDS+=($!)

( # downstream faults
  set +e
  k=1
  while ((k * SOAK_FAULT_EVERY < TOTAL - SOAK_HANG_SECONDS)); do
    sleep_until $((k * SOAK_FAULT_EVERY))
    pid=$(cat "$DIR/downstream.pid")
    if ((k % 2 == 1)); then
      echo "$(since "$T0") hang: SIGSTOP downstream $pid for ${SOAK_HANG_SECONDS}s" >>"$EVENTS"
      kill -STOP "$pid"
      sleep "$SOAK_HANG_SECONDS"
      kill -CONT "$pid"
      echo "$(since "$T0") hang over: SIGCONT" >>"$EVENTS"
    else
      echo "$(since "$T0") crash: kill -9 downstream $pid, down ${SOAK_DOWN_SECONDS}s" >>"$EVENTS"
      kill -KILL "$pid"
      wait "$pid" 2>/dev/null || true
      sleep "$SOAK_DOWN_SECONDS"
      start_downstream
      echo "$(since "$T0") restarted: downstream $(cat "$DIR/downstream.pid") healthy" >>"$EVENTS"
    fi
    k=$((k + 1))
  done
) &
PIDS+=($!)

( # configuration reloads
  set +e
  k=1
  while ((k * SOAK_RELOAD_EVERY - 15 < TOTAL)); do
    sleep_until $((k * SOAK_RELOAD_EVERY - 15))
    ttl=$((k % 2 == 1 ? 6 : 5))s
    write_config "$ttl"
    echo "$(since "$T0") reload: authorizedTTL $ttl" >>"$EVENTS"
    k=$((k + 1))
  done
) &
PIDS+=($!)

soak_status=0
wait "$LOADGEN_PID" || soak_status=$?
ELAPSED=$(since "$T0")
CPU1=$(cpu_seconds 2>/dev/null || echo "$CPU0")
CPU_SHARE=$(awk -v a="$CPU0" -v b="$CPU1" -v t="$ELAPSED" 'BEGIN { printf "%.1f s of CPU in %.0f s, %.0f%% of one core", b - a, t, 100 * (b - a) / t }')
# Give the reload to land, then read what the server says about reloads (if /metrics answers).
sleep 1
RELOADS=$(grep -c ' reload: ' "$EVENTS" || true)
FAULTS=$(grep -cE ' (hang|crash): ' "$EVENTS" || true)
SEEN_RELOADS=$(curl -sf --cacert "$SERVER_CA" "https://127.0.0.1:$SOAK_PORT/metrics" 2>/dev/null |
  awk '/^apiserver_authorization_config_controller_automatic_reloads_total/ && /success/ { s += $NF } END { if (NR) print s + 0 }' || true)
SERVER_ALIVE=yes
kill -0 "$SERVER_PID" 2>/dev/null || SERVER_ALIVE=no

# --- 7. summary ---------------------------------------------------------------------------------
[[ -s $DIR/soak.json ]] || die "no report from the soak run (loadgen exit $soak_status): $(cat "$DIR/soak.err")"
jq -e . "$DIR/soak.json" >/dev/null || die "the soak report is not JSON: $(head -c 500 "$DIR/soak.json")"
read -r REQ ANS ERR APS < <(jq -r '[.requests, .answered, .errors, (.answersPerSecond | floor)] | @tsv' "$DIR/soak.json")
UNANSWERED=$((REQ - ANS))
LAT=$(jq -r '.latencyMicroseconds // empty | "p50 \(.p50 | floor) µs, p90 \(.p90 | floor) µs, p99 \(.p99 | floor) µs, p99.9 \(.p999 | floor) µs, max \(.max | floor) µs"' "$DIR/soak.json")
DEC=$(jq -r '.decisions | "\(.allow) allow, \(.deny) deny, \(.noOpinion) no opinion"' "$DIR/soak.json")
read -r RSS2 RSSN N2 NN < <(awk -F, -v total="$TOTAL" 'NR > 1 {
    if ($1 >= 60 && $1 < 120) { a += $2; na++ }
    if ($1 >= total - 60 && $1 < total) { b += $2; nb++ }
  } END { printf "%.0f %.0f %d %d\n", na ? a / na : 0, nb ? b / nb : 0, na, nb }' "$DIR/rss.csv")
RATIO=$(awk -v a="$RSS2" -v b="$RSSN" 'BEGIN { if (a > 0) printf "%.3f", b / a; else print "nan" }')

PASS_ANSWERED=FAIL
((soak_status == 0 && ERR == 0 && UNANSWERED == 0 && REQ > 0)) && PASS_ANSWERED=PASS
PASS_RSS=FAIL
awk -v r="$RATIO" -v n2="$N2" -v nn="$NN" 'BEGIN { exit !(r != "nan" && n2 >= 50 && nn >= 50 && r >= 0.9 && r <= 1.1) }' && PASS_RSS=PASS

cat <<EOF

== authz-chain soak summary ==
when          $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $LOAD0 before the soak, $(cut -d' ' -f1-3 /proc/loadavg) after
chain         Webhook (downstream serve, timeout 1s, NoOpinion, authorizedTTL 5s/6s, unauthorizedTTL 2s) -> RBAC
server        CPU $SOAK_SERVER_CPU; loadgen and downstream CPU $SOAK_CLIENT_CPU
requests file $SOAK_REQUESTS distinct SubjectAccessReviews
max (closed)  $MAX answers/s ($SOAK_MAX_CONCURRENCY tasks, ${SOAK_MAX_SECONDS}s)
soak (open)   $RATE/s asked, $SOAK_CONCURRENCY tasks, ${SOAK_SECONDS}s counted (+${WARMUP}s warm-up), ?timeout=$SOAK_TIMEOUT, took ${ELAPSED}s
faults        $FAULTS downstream faults (every ${SOAK_FAULT_EVERY}s: hang ${SOAK_HANG_SECONDS}s / kill -9 + ${SOAK_DOWN_SECONDS}s down + restart)
reloads       $RELOADS configuration rewrites; server counted ${SEEN_RELOADS:-n/a} successful automatic reloads
requests      $REQ sent, $ANS answered, $ERR failed, $UNANSWERED unanswered (loadgen exit $soak_status)
decisions     $DEC
throughput    $APS answers/s
latency       ${LAT:-no answers} (from when each request was due)
RSS           minute 2: $RSS2 kB (mean of $N2 samples), last minute: $RSSN kB (mean of $NN samples), ratio $RATIO
server        alive at the end: $SERVER_ALIVE; used $CPU_SHARE
EOF
jq -r '.errorSamples[] | "error sample  " + .' "$DIR/soak.json"
cat <<EOF
zero unanswered                                   $PASS_ANSWERED
last minute RSS within 10% of the second minute   $PASS_RSS
files         $DIR/{rss.csv,events.log,max.json,soak.json,server.log,downstream.log}
EOF
[[ $PASS_ANSWERED == PASS && $PASS_RSS == PASS && $SERVER_ALIVE == yes ]] || exit 1
