#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ (see fuzz/README.md), each for SECONDS_PER_TARGET seconds,
# one after another, and fails if any of them finds a crash, a panic, a timeout or runs out of
# memory (the input is left in fuzz/artifacts/<target>/).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 15 seconds, every target)
#
# Installs cargo-fuzz from crates.io when it is missing, builds the seed corpus
# (scripts/fuzz-corpus.sh), builds the targets once, then runs them. Uses the nightly toolchain
# when rustup has one, otherwise stable with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z flags).
# FUZZ_TOOLCHAIN=nightly|stable forces one; FUZZ_SANITIZER=address|none picks the sanitizer
# (default address); extra libFuzzer flags can be given in FUZZ_ARGS.
# Needs a C++ compiler (libfuzzer-sys builds libFuzzer) and python3 (the corpus script).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-15}"
shift || true
case "$seconds" in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
	exit 2
	;;
esac
all=(sar_decode authz_config kubeconfig cel selectors audit_events manifests)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi

if ! cargo fuzz --version >/dev/null 2>&1; then
	echo "== installing cargo-fuzz" >&2
	cargo install cargo-fuzz --locked
fi

toolchain="${FUZZ_TOOLCHAIN:-}"
if [ -z "$toolchain" ]; then
	if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then toolchain=nightly; else toolchain=stable; fi
fi
case "$toolchain" in
nightly) fuzz=(cargo +nightly fuzz) ;;
stable)
	export RUSTC_BOOTSTRAP=1
	if rustup toolchain list 2>/dev/null | grep -q '^stable'; then fuzz=(cargo +stable fuzz); else fuzz=(cargo fuzz); fi
	;;
*)
	echo "FUZZ_TOOLCHAIN must be nightly or stable" >&2
	exit 2
	;;
esac
build_flags=(--sanitizer "${FUZZ_SANITIZER:-address}")

"$root/scripts/fuzz-corpus.sh" "${targets[@]}"

cd "$root/fuzz"
echo "== building ${targets[*]} (${fuzz[*]} ${build_flags[*]})" >&2
if [ $# -eq 0 ]; then
	"${fuzz[@]}" build "${build_flags[@]}"
else
	for target in "${targets[@]}"; do
		"${fuzz[@]}" build "${build_flags[@]}" "$target"
	done
fi

failed=()
for target in "${targets[@]}"; do
	echo "== $target: ${seconds}s" >&2
	# stdin is closed: nothing a fuzzed input names (such as /dev/stdin in a kubeconfig) may block.
	# shellcheck disable=SC2086
	if ! "${fuzz[@]}" run "${build_flags[@]}" "$target" -- \
		-max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
		${FUZZ_ARGS:-} </dev/null; then
		failed+=("$target")
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: failed: ${failed[*]} (inputs in fuzz/artifacts/<target>/)" >&2
	exit 1
fi
echo "fuzz.sh: ${targets[*]}: no crash in ${seconds}s each" >&2
