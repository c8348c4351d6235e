#!/usr/bin/env bash
# Long-poll wake-up benchmark: builds freshet (Release) into build-bench/ unless FRESHET_BIN is
# given, and runs bench/fetch_wakeup_bench.py twice, each against a fresh single-node broker
# on a free port: at --log-level info for the broker's CPU time per produced record, then at
# --log-level debug to count the fetch wake-ups per record from the "fetch parked" lines
# (logging them costs CPU: that run's CPU figure is not the one to quote).
# Overrides: PARTITIONS (1000), CONSUMERS (100), RECORDS (2000), SMP (2).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-bench"
smp="${SMP:-2}"

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
build_freshet_unless_given "$root" "$build"

run() {
  local level="$1"
  shift
  local log="$build/broker-wakeup-bench-$level.log"
  start_broker "$FRESHET_BIN" "$log" "$smp" --log-level "$level"
  /usr/bin/python3 "$root/bench/fetch_wakeup_bench.py" --bootstrap "$brokers" --broker-pid "$broker_pid" \
    --partitions "${PARTITIONS:-1000}" --consumers "${CONSUMERS:-100}" --records "${RECORDS:-2000}" "$@"
  stop_broker
}

echo "== broker CPU per record (log level info)"
run info
echo "== wake-ups per record (log level debug; its CPU figure includes the debug logging)"
run debug --broker-log "$build/broker-wakeup-bench-debug.log"
