#!/usr/bin/env bash
# The test command (README, .ci/run): the whole test suite, then each fuzz target for a short
# fixed time over its seed corpus (scripts/fuzz.sh installs cargo-fuzz when it is missing).
# FUZZ_SECONDS=0 skips the fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked
seconds="${FUZZ_SECONDS:-15}"
if [ "$seconds" -gt 0 ]; then
  scripts/fuzz.sh "$seconds"
fi
