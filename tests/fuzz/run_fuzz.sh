#!/bin/sh
# Runs one libFuzzer target for a bounded time from its seed corpus, with a
# throwaway working corpus so the source tree stays untouched.
#   run_fuzz.sh TARGET SEED_DIR SECONDS
set -eu
target=$(realpath "$1") seeds=$(realpath "$2") seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"  # crash-* reproducers land here; the log names them
# libFuzzer's own exit code for a finding (crash, leak, sanitizer report) is
# 77 by default, which meson takes for "skipped": a target that found a bug
# was listed as SKIP. Any finding exits 1 here, so it fails the test.
exec "$target" "$work" "$seeds" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  -error_exitcode=1 -timeout_exitcode=1
