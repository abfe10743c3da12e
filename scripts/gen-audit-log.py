#!/usr/bin/env python3
"""Generate a large audit log for the replay bench from the real events' shapes.

Every request of testdata/audit/audit.log.gz (all its stages: RequestReceived, ResponseStarted,
ResponseComplete) is a template. Requests are replayed round-robin, each with a fresh auditID,
and their stages interleaved with up to --in-flight other requests (as kube-apiserver writes them),
until at least --events events are written. Users, verbs, URIs, objectRefs, impersonation and
annotations are the real ones, so every generated event keeps its recorded decision: replayed with
testdata/audit/state-end, the only disagreements are the copies of the 49 requests the deleted
RoleBinding allowed.

  scripts/gen-audit-log.py --events 1000000 -o /tmp/audit-1m.log.gz

Deterministic for a given --seed. Output is gzip when the name ends in .gz (level 1), else plain.
"""

import argparse
import collections
import gzip
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def templates(path):
    """Requests of the real log: lists of raw lines, in first-seen order, with their auditID."""
    groups = collections.OrderedDict()
    with gzip.open(path, "rt") as f:
        for line in f:
            line = line.rstrip("\n")
            audit_id = json.loads(line)["auditID"]
            groups.setdefault(audit_id, []).append(line)
    return list(groups.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="at least this many events")
    parser.add_argument("--in-flight", type=int, default=8, help="requests whose stages interleave")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--source", default=os.path.join(ROOT, "testdata/audit/audit.log.gz"))
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    requests = templates(args.source)
    if args.output == "-":
        out = sys.stdout
    elif args.output.endswith(".gz"):
        out = gzip.open(args.output, "wt", compresslevel=1)
    else:
        out = open(args.output, "w")

    written = 0
    started = 0
    in_flight = []  # [remaining lines]
    buffer = []
    while written < args.events or in_flight:
        start_new = written < args.events and (len(in_flight) < args.in_flight and rng.random() < 0.6 or not in_flight)
        if start_new:
            old_id, lines = requests[started % len(requests)]
            new_id = "%08x-%04x-4%03x-8%03x-%012x" % (
                started & 0xFFFFFFFF, (started >> 32) & 0xFFFF, args.seed & 0xFFF, rng.getrandbits(12), rng.getrandbits(48))
            started += 1
            in_flight.append([l.replace(old_id, new_id) for l in lines])
            index = len(in_flight) - 1
        else:
            index = rng.randrange(len(in_flight))
        stages = in_flight[index]
        buffer.append(stages.pop(0))
        written += 1
        if not stages:
            in_flight.pop(index)
        if len(buffer) >= 4096:
            out.write("\n".join(buffer))
            out.write("\n")
            buffer.clear()
    if buffer:
        out.write("\n".join(buffer))
        out.write("\n")
    if out is not sys.stdout:
        out.close()
    print(f"{written} events, {started} requests", file=sys.stderr)


if __name__ == "__main__":
    main()
