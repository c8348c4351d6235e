#!/usr/bin/env bash
# Broker benchmark: builds freshet and freshet_load (Release) into build-bench/,
# starts a single-node broker on a free port with a fresh log dir, runs the
# produce / consume / latency phases with freshet_load and prints a summary.
# Each phase starts after `sync`. Before the broker starts, WARM_MEMORY_MB
# (default 6500; 0 skips it) of memory is written and freed in /dev/shm: on a
# virtual machine whose hypervisor backs guest memory lazily (and takes freed
# pages back), the first touch of a page is slow, and the page cache the
# phases fill would otherwise measure that (here: 1 KiB produce at ~0.7 GB/s
# with three times the broker CPU, vs ~1.7 GB/s once the memory is backed).
# Record counts can be overridden: RECORDS_100B, RECORDS_1K, LATENCY_RATE, LATENCY_SECONDS, SMP;
# FILE_TRANSFER=auto|sendfile|copy sets the broker's freshet.fetch.file.transfer.
# The latency phase schedules its sends at a fixed rate and measures each record
# from its scheduled time (no coordinated omission); it reports p50/p99/p99.9/max.
# Exits non-zero when any phase fails (non-zero exit or no result line) or the
# warm-up fails, after printing the summary.
#
# Client settings (freshet_load, see bench/README.md) are rdkafka_performance's
# and the same for every throughput phase: producer linger.ms=1000,
# batch.size=1000000, librdkafka's default queue bounds (100000 messages /
# 1 GiB), no payload copy flag, a delivery report per record; consumer
# queued.min.messages=1000000 (queued.max.messages.kbytes=2097151 so that the
# byte bound does not cut that prefetch) with 4 MB per partition fetch. The latency
# phase uses linger.ms=0. Extra librdkafka properties: LOAD_ARGS="-X k=v ...".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-bench"
records_100b="${RECORDS_100B:-10000000}"
records_1k="${RECORDS_1K:-2000000}"
latency_rate="${LATENCY_RATE:-10000}"
latency_seconds="${LATENCY_SECONDS:-10}"
smp="${SMP:-2}"
warm_memory_mb="${WARM_MEMORY_MB:-6500}"
file_transfer="${FILE_TRANSFER:-auto}"
failed=()  # the phases that failed

echo "== building freshet and freshet_load (Release) in $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFRESHET_BUILD_BENCH=ON >/dev/null
ninja -C "$build" -j2 freshet freshet_load >/dev/null
freshet="$build/freshet"
freshet_load="$build/bench/freshet_load"

broker_log="$build/broker-bench.log"
results_file="$build/freshet-load-results.txt"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
warm_memory "$warm_memory_mb"
start_broker "$freshet" "$broker_log" "$smp" --set "freshet.fetch.file.transfer=$file_transfer"
echo "broker accepting connections after ${ready_ms} ms"

topics=(bench-100b-acks1 bench-1k-acks1 bench-100b-acksall bench-latency)
"$freshet" topic create -b "$brokers" -p 1 "${topics[@]}"

: >"$results_file"

load_phase r_p100 "produce 100 B acks=1" produce --brokers "$brokers" --topic bench-100b-acks1 --records "$records_100b" --size 100 --acks 1
load_phase r_p1k "produce 1 KiB acks=1" produce --brokers "$brokers" --topic bench-1k-acks1 --records "$records_1k" --size 1024 --acks 1
load_phase r_pall "produce 100 B acks=all" produce --brokers "$brokers" --topic bench-100b-acksall --records "$records_100b" --size 100 --acks all
load_phase r_c100 "consume 100 B" consume --brokers "$brokers" --topic bench-100b-acks1 --records "$records_100b"
load_phase r_lat "latency ${latency_rate} msgs/s" \
  latency --brokers "$brokers" --topic bench-latency --rate "$latency_rate" --seconds "$latency_seconds" --size 100 --acks 1

peak_rss_kb=0
if kill -0 "$broker_pid" 2>/dev/null; then
  peak_rss_kb="$(awk '/^VmHWM:/ {print $2}' "/proc/$broker_pid/status")"
else
  failed+=("the broker exited during the phases")
fi
log_problems="$(grep -ciE '\[(warning|error|critical)\]' "$broker_log" || true)"

echo
echo "== summary (MB = 10^6 payload bytes; latency = scheduled send -> delivery report, acks=1, linger.ms=0)"
echo "memory: $memory_note"
echo "fetch file transfer: $file_transfer"
printf '%-26s %12s %10s %10s\n' phase msgs/s MB/s errors
printf '%-26s %12s %10s %10s\n' "produce 100 B acks=1$memory_tag"   "$(field "$r_p100" msgs_per_s)" "$(field "$r_p100" mb_per_s)" "$(field "$r_p100" delivery_errors)"
printf '%-26s %12s %10s %10s\n' "produce 1 KiB acks=1$memory_tag"   "$(field "$r_p1k" msgs_per_s)"  "$(field "$r_p1k" mb_per_s)"  "$(field "$r_p1k" delivery_errors)"
printf '%-26s %12s %10s %10s\n' "produce 100 B acks=all$memory_tag" "$(field "$r_pall" msgs_per_s)" "$(field "$r_pall" mb_per_s)" "$(field "$r_pall" delivery_errors)"
printf '%-26s %12s %10s %10s\n' "consume 100 B$memory_tag"          "$(field "$r_c100" msgs_per_s)" "$(field "$r_c100" mb_per_s)" "$(field "$r_c100" consume_errors)"
printf 'latency%s @ %s msgs/s (achieved %s): p50 %s ms, p99 %s ms, p99.9 %s ms, max %s ms, send lag max %s ms, errors %s\n' \
  "$memory_tag" "$latency_rate" "$(field "$r_lat" achieved_rate)" "$(field "$r_lat" p50_ms)" "$(field "$r_lat" p99_ms)" \
  "$(field "$r_lat" p999_ms)" "$(field "$r_lat" max_ms)" "$(field "$r_lat" max_send_lag_ms)" "$(field "$r_lat" delivery_errors)"
echo "broker time-to-ready: ${ready_ms} ms from exec to port accepting (broker log: $(grep -o 'ready in [0-9]* ms' "$broker_log" || echo 'no ready line'))"
echo "broker peak RSS (VmHWM): $(( peak_rss_kb / 1024 )) MiB"
echo "broker log lines at warning level or above: ${log_problems} (see $broker_log)"
if (( ${#failed[@]} > 0 )); then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
