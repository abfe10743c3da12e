#!/usr/bin/env bash
# The replay bench (BENCHMARKS.md, "Replay"): generates audit logs of 1, 2 and 4 million events
# from the real events' shapes (scripts/gen-audit-log.py; the 2M and 4M logs are the 1M one
# followed by more gzip members with other seeds, so auditIDs never repeat) and replays each
# through [Node, RBAC] over testdata/audit/state-end, printing events per second and peak memory.
#
#   scripts/bench-replay.sh [WORKDIR]      (default: /tmp/authz-chain-replay-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/authz-chain-replay-bench}
mkdir -p "$work"
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/authz-chain
for seed in 1 2 3 4; do
  [ -f "$work/part-$seed.log.gz" ] ||
    python3 scripts/gen-audit-log.py --events 1000000 --seed "$seed" -o "$work/part-$seed.log.gz"
done
cat "$work/part-1.log.gz" > "$work/audit-1m.log.gz"
cat "$work"/part-{1,2}.log.gz > "$work/audit-2m.log.gz"
cat "$work"/part-{1,2,3,4}.log.gz > "$work/audit-4m.log.gz"
printf 'apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- {type: Node, name: node}\n- {type: RBAC, name: rbac}\n' > "$work/authz.yaml"
for size in 1m 2m 4m; do
  "$bin" replay --authorization-config "$work/authz.yaml" --state testdata/audit/state-end \
    --output json "$work/audit-$size.log.gz" 2>/dev/null |
    python3 -c '
import json, sys
s = json.load(sys.stdin)
print(f"{sys.argv[1]}: {s[\"documents\"]:,} events, {s[\"requests\"]:,} requests, "
      f"{s[\"seconds\"]:.1f} s, {s[\"eventsPerSecond\"]:,.0f} events/s, "
      f"peak {s[\"peakMemoryBytes\"] / 2**20:.0f} MiB")' "$size"
done
