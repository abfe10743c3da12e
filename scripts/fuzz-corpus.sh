#!/usr/bin/env bash
# Builds the fuzzers' seed corpus into fuzz/corpus/<target>/ from the repository's own test data
# (testdata/, config-samples/), so the repository does not carry a corpus. Inputs the fuzzers add
# to fuzz/corpus/<target>/ are kept; seeds are named by content hash, so re-running is idempotent.
#
#   scripts/fuzz-corpus.sh [TARGET...]     (default: every target)
#
# Needs python3 (standard library only).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exec python3 - "$root" "$@" <<'PY'
import glob, gzip, hashlib, json, os, sys

root = sys.argv[1]
wanted = set(sys.argv[2:])
os.chdir(root)
MAX_SEED = 128 * 1024
seeds = {}


def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    if 0 < len(data) <= MAX_SEED:
        seeds.setdefault(target, {})[hashlib.sha1(data).hexdigest()] = data


def read(path):
    with open(path, "rb") as f:
        return f.read()


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def walk(value, key):
    """Every value under `key`, anywhere in a JSON tree."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                yield v
            yield from walk(v, key)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, key)


def files(*patterns):
    for pattern in patterns:
        for path in sorted(glob.glob(pattern, recursive=True)):
            if os.path.isfile(path):
                yield path


# sar_decode: SubjectAccessReviews as kube-apiserver sends them (wire captures, v1 and v1beta1),
# the recorded RBAC/Node cases, and the samples.
for path in files("testdata/wire/*.jsonl"):
    for case in jsonl(path):
        if isinstance(case.get("body"), str):
            add("sar_decode", case["body"])
for path in files("testdata/rbac/cases.jsonl", "testdata/node/cases.jsonl"):
    for case in jsonl(path):
        add("sar_decode", json.dumps(case["request"], separators=(",", ":")))
for path in files("config-samples/sars/*.json"):
    add("sar_decode", read(path))
for path in files("config-samples/sars/*.jsonl"):
    for line in read(path).splitlines():
        add("sar_decode", line)

# authz_config: every recorded configuration and the samples.
for path in files("testdata/validation/configs/*", "config-samples/**/authorization-config*.yaml"):
    add("authz_config", read(path))

# kubeconfig: the recorded kubeconfigs and the samples'.
for path in files("testdata/validation/kubeconfigs/*.kubeconfig", "config-samples/**/*.kubeconfig"):
    add("kubeconfig", read(path))

# cel: every recorded expression (compile cases, evaluation cases, configurations).
for path in files("testdata/cel/*.jsonl"):
    for case in jsonl(path):
        if isinstance(case.get("expression"), str):
            add("cel", case["expression"])
for path in files("testdata/validation/configs/*"):
    for line in read(path).decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith(("- expression:", "expression:")):
            text = line.split("expression:", 1)[1].strip()
            if len(text) > 1 and text[0] in "'\"" and text[-1] == text[0]:
                text = text[1:-1]
            add("cel", text)

# selectors: every rawSelector recorded, every requirement printed as a selector, and a few
# hand-written forms the parser accepts.
for path in files("testdata/rbac/cases.jsonl", "testdata/node/cases.jsonl", "testdata/cel/cases.jsonl",
                  "testdata/validation/cases.jsonl"):
    for case in jsonl(path):
        for raw in walk(case, "rawSelector"):
            if isinstance(raw, str):
                add("selectors", raw)
for seed in ["app=web", "app!=web,tier", "app in (web,db),!legacy", "env notin (prod)", "x>1,y<2",
             "spec.nodeName=n1", "metadata.name==a\\,b", "status.phase!=Running,metadata.namespace=x",
             "example.com/key-1 in (a.b-c_d)", "a==b", ""]:
    add("selectors", seed)

# audit_events: the first byte picks the framer's chunk size; the rest is a log (small gzip
# members and plain excerpts of the recorded logs, so seeds stay small).
for path in files("testdata/audit/*.gz"):
    with gzip.open(path, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    for start in range(0, min(len(lines), 400), 40):
        excerpt = b"".join(lines[start:start + 8])
        add("audit_events", bytes([start % 64]) + excerpt)
        add("audit_events", bytes([7]) + gzip.compress(excerpt, mtime=0))
    if lines:
        event = json.loads(lines[0])
        add("audit_events", b"\x05" + json.dumps([event, event], indent=2).encode())
        add("audit_events", b"\x09" + json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1",
                                                  "items": [event]}, indent=1).encode())
for path in files("testdata/audit/*.json"):
    add("audit_events", b"\x03" + read(path))

# manifests: the state directories of the recorded cases, the bootstrap policy and the samples.
for path in files("testdata/**/*.yaml", "testdata/**/*.json", "config-samples/**/state/*"):
    if "/state" in path or "/bootstrap/" in path:
        add("manifests", read(path))

for target, found in sorted(seeds.items()):
    if wanted and target not in wanted:
        continue
    out = os.path.join("fuzz", "corpus", target)
    os.makedirs(out, exist_ok=True)
    for name, data in found.items():
        path = os.path.join(out, name)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
    print(f"{target}: {len(found)} seeds in {out}")
PY
