#!/usr/bin/env bash
# Consumer-group benchmark: builds freshet (Release) into build-bench/ unless FRESHET_BIN is
# given, starts a single-node broker on a free port with a fresh log dir and Kafka's default
# group settings (group.initial.rebalance.delay.ms=3000), and runs bench/group_bench.py
# (confluent-kafka, Debian's /usr/bin/python3): rebalance time of 8 members on 64 partitions
# when a 9th joins (eager range vs cooperative-sticky), and synchronous OffsetCommit
# throughput with 1 and 8 committing members. Overrides: MEMBERS, PARTITIONS, ROUNDS,
# HEARTBEAT_MS, COMMIT_SECONDS, SMP.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-bench"
smp="${SMP:-2}"
broker_log="$build/broker-group-bench.log"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
build_freshet_unless_given "$root" "$build"
start_broker "$FRESHET_BIN" "$broker_log" "$smp"

/usr/bin/python3 "$root/bench/group_bench.py" --bootstrap "$brokers" \
  --members "${MEMBERS:-8}" --partitions "${PARTITIONS:-64}" --rounds "${ROUNDS:-5}" \
  --heartbeat-ms "${HEARTBEAT_MS:-100}" --commit-seconds "${COMMIT_SECONDS:-5}" \
  --broker-log "$broker_log"

echo
echo "broker group settings: Kafka's defaults (group.initial.rebalance.delay.ms=3000 delays the first join)"
rebalance_lines="$(grep -iE 'rebalanc|generation' "$broker_log" || true)"
if [[ -n "$rebalance_lines" ]]; then
  echo "broker-side rebalance log lines (last 20):"
  tail -20 <<<"$rebalance_lines"
else
  echo "the broker logs no rebalance lines (no broker-side rebalance time available)"
fi
echo "broker log lines at warning level or above: $(grep -ciE '\[(warning|error|critical)\]' "$broker_log" || true) (see $broker_log)"
