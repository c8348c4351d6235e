#!/usr/bin/env bash
# Replication benchmark: builds freshet and freshet_load (Release) into build-bench/, starts a
# 3-node cluster on loopback (scripts/run-cluster.sh: process.roles=broker,controller, one
# shard each) and runs the same acks=all phases against a replication factor 1 topic and a
# replication factor 3 one (min.insync.replicas=2), one partition each, in the same run:
#   produce 100 B and 1 KiB acks=all (freshet_load produce, rdkafka_performance's settings, as
#   run_broker_bench.sh), and latency at LATENCY_RATE msgs/s for LATENCY_SECONDS, measured from
#   each record's scheduled send (no coordinated omission).
# Prints each phase and the RF=3 / RF=1 throughput ratio (issue 12's target: at least 0.5).
# Overrides: RECORDS_100B (default 2000000), RECORDS_1K (500000), LATENCY_RATE (5000),
# LATENCY_SECONDS (10), LOAD_ARGS ("-X k=v ..."). A failed phase fails the script.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-bench"
records_100b="${RECORDS_100B:-2000000}"
records_1k="${RECORDS_1K:-500000}"
latency_rate="${LATENCY_RATE:-5000}"
latency_seconds="${LATENCY_SECONDS:-10}"
failed=()

echo "== building freshet and freshet_load (Release) in $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFRESHET_BUILD_BENCH=ON >/dev/null
ninja -C "$build" -j2 freshet freshet_load >/dev/null
freshet="$build/freshet"
freshet_load="$build/bench/freshet_load"
results_file="$build/replication-bench-results.txt"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

cluster_dir="$(mktemp -d /tmp/freshet-replication-bench.XXXXXX)"
stop_cluster() {
  FRESHET_BUILD_DIR="$build" bash "$root/scripts/run-cluster.sh" stop "$cluster_dir" >/dev/null 2>&1 || true
  rm -rf "$cluster_dir"
}
at_exit stop_cluster
echo "== starting a 3-node cluster in $cluster_dir"
FRESHET_BUILD_DIR="$build" bash "$root/scripts/run-cluster.sh" start 3 "$cluster_dir" >/dev/null
brokers="127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"

"$freshet" topic create -b "$brokers" -p 1 -r 1 rf1-100b rf1-1k rf1-latency
"$freshet" topic create -b "$brokers" -p 1 -r 3 -c min.insync.replicas=2 rf3-100b rf3-1k rf3-latency
: >"$results_file"

for rf in 1 3; do
  load_phase "p100_rf$rf" "produce 100 B acks=all RF=$rf" produce --brokers "$brokers" --topic "rf$rf-100b" \
    --records "$records_100b" --size 100 --acks all
  load_phase "p1k_rf$rf" "produce 1 KiB acks=all RF=$rf" produce --brokers "$brokers" --topic "rf$rf-1k" \
    --records "$records_1k" --size 1024 --acks all
  load_phase "lat_rf$rf" "latency ${latency_rate} msgs/s acks=all RF=$rf" latency --brokers "$brokers" \
    --topic "rf$rf-latency" --rate "$latency_rate" --seconds "$latency_seconds" --size 100 --acks all
done

ratio() { /usr/bin/python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'{a / b:.2f}' if b else 'n/a')" "$1" "$2"; }
echo
echo "== summary (3 nodes on one machine, one partition per topic, acks=all; MB = 10^6 payload bytes)"
printf '%-28s %12s %10s %10s\n' phase msgs/s MB/s errors
for rf in 1 3; do
  for phase in "p100:produce 100 B" "p1k:produce 1 KiB"; do
    var="${phase%%:*}_rf$rf"
    printf '%-28s %12s %10s %10s\n' "${phase#*:} RF=$rf" "$(field "${!var}" msgs_per_s)" "$(field "${!var}" mb_per_s)" \
      "$(field "${!var}" delivery_errors)"
  done
done
for rf in 1 3; do
  var="lat_rf$rf"; line="${!var}"
  printf 'latency RF=%s @ %s msgs/s (achieved %s): p50 %s ms, p99 %s ms, p99.9 %s ms, max %s ms, errors %s\n' "$rf" \
    "$latency_rate" "$(field "$line" achieved_rate)" "$(field "$line" p50_ms)" "$(field "$line" p99_ms)" \
    "$(field "$line" p999_ms)" "$(field "$line" max_ms)" "$(field "$line" delivery_errors)"
done
echo "RF=3 / RF=1 throughput: 100 B $(ratio "$(field "$p100_rf3" msgs_per_s)" "$(field "$p100_rf1" msgs_per_s)"), 1 KiB $(ratio "$(field "$p1k_rf3" msgs_per_s)" "$(field "$p1k_rf1" msgs_per_s)")"
if (( ${#failed[@]} > 0 )); then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
