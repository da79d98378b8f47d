#!/usr/bin/env bash
# Runs every benchmark of an existing `bench` build and prints the figures that
# docs/performance.md records; builds nothing itself (`make bench` builds first).
#   tools/run-benchmarks.sh [BUILD_DIR]      (default build/bench)
# - every Google Benchmark program BUILD_DIR/bench/*_bench, median of 3 repetitions;
# - bench/rollover: `daneguard run` steady state over 1,000 owner names, and rollover latency
#   against the policy bound, both against a throwaway BIND (skipped if named is missing).
# Exit status: 0 if every benchmark ran, 1 if one failed (the others still run).
set -uo pipefail
build=${1:-build/bench}
programs=$build/bench
if [ ! -d "$programs" ]; then
  echo "run-benchmarks: $programs does not exist; build first: cmake --preset bench &&" \
    "cmake --build --preset bench -j2" >&2
  exit 66
fi

echo "== machine"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

status=0
run() { # title command...
  echo
  echo "== $1"
  shift
  echo "\$ $*"
  "$@" || { echo "run-benchmarks: FAILED (exit $?): $*" >&2; status=1; }
}

while IFS= read -r program; do
  run "$(basename "$program")" "$program" --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true
done < <(find "$programs" -maxdepth 1 -type f -executable -name '*_bench' | sort)

rollover=$programs/rollover/rollover_bench
if [ ! -x "$rollover" ]; then
  echo "run-benchmarks: $rollover was not built" >&2
  status=1
elif ! command -v named >/dev/null && [ ! -x /usr/sbin/named ]; then
  echo
  echo "== rollover benchmarks skipped: named is not installed (Debian package bind9)"
else
  daneguard=$build/src/cli/daneguard
  # The steady-state run writes nothing, but reaching steady state (500 first enablements)
  # is fsync-bound on a virtual disk: its scratch files go to tmpfs when there is one.
  scratch=()
  [ -d /dev/shm ] && [ -w /dev/shm ] && scratch=(--scratch /dev/shm)
  run "rollover steady state" "$rollover" --daneguard "$daneguard" "${scratch[@]}" steady-state
  run "rollover latency" "$rollover" --daneguard "$daneguard" latency
fi
exit $status
