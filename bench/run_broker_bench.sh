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
# Record counts can be overridden: RECORDS_100B, RECORDS_1K, LATENCY_RATE, LATENCY_SECONDS, SMP.
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

echo "== building freshet and freshet_load (Release) in $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFRESHET_BUILD_BENCH=ON >/dev/null
ninja -C "$build" -j2 freshet freshet_load >/dev/null
freshet="$build/freshet"
freshet_load="$build/bench/freshet_load"

if (( warm_memory_mb > 0 )); then
  echo "== warming ${warm_memory_mb} MB of memory (see the header)"
  warm_file="$(mktemp /dev/shm/freshet-bench-warm.XXXXXX)"
  dd if=/dev/zero of="$warm_file" bs=1M count="$warm_memory_mb" status=none || true
  rm -f "$warm_file"
fi

broker_log="$build/broker-bench.log"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
start_broker "$freshet" "$broker_log" "$smp"
echo "broker accepting connections after ${ready_ms} ms"

topics=(bench-100b-acks1 bench-1k-acks1 bench-100b-acksall bench-latency)
"$freshet" topic create -b "$brokers" -p 1 "${topics[@]}"

load() {
  # Every phase starts with no dirty page cache: the previous phase's writes are
  # flushed first, so that a phase is not measured against the kernel's
  # background writeback of another (it starts past dirty_background_ratio,
  # 10% of RAM: about 2.3 GB here, less than two phases write).
  sync
  # A failing phase (e.g. delivery errors) still prints its line; keep going.
  # shellcheck disable=SC2086 # LOAD_ARGS is a list of flags
  "$freshet_load" "$@" --brokers "$brokers" ${LOAD_ARGS:-} | tee -a "$build/freshet-load-results.txt" | tail -1 || true
}
: >"$build/freshet-load-results.txt"

echo "== produce 100 B acks=1";   r_p100="$(load produce --topic bench-100b-acks1 --records "$records_100b" --size 100 --acks 1)"; echo "$r_p100"
echo "== produce 1 KiB acks=1";   r_p1k="$(load produce --topic bench-1k-acks1 --records "$records_1k" --size 1024 --acks 1)"; echo "$r_p1k"
echo "== produce 100 B acks=all"; r_pall="$(load produce --topic bench-100b-acksall --records "$records_100b" --size 100 --acks all)"; echo "$r_pall"
echo "== consume 100 B";          r_c100="$(load consume --topic bench-100b-acks1 --records "$records_100b")"; echo "$r_c100"
echo "== latency ${latency_rate} msgs/s"
r_lat="$(load latency --topic bench-latency --rate "$latency_rate" --seconds "$latency_seconds" --size 100 --acks 1)"; echo "$r_lat"

peak_rss_kb="$(awk '/^VmHWM:/ {print $2}' "/proc/$broker_pid/status")"
log_problems="$(grep -ciE '\[(warning|error|critical)\]' "$broker_log" || true)"

# field LINE KEY: the value of KEY=value in a freshet_load result line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

echo
echo "== summary (MB = 10^6 payload bytes; latency = produce -> delivery report, acks=1, linger.ms=0)"
printf '%-26s %12s %10s %10s\n' phase msgs/s MB/s errors
printf '%-26s %12s %10s %10s\n' "produce 100 B acks=1"   "$(field "$r_p100" msgs_per_s)" "$(field "$r_p100" mb_per_s)" "$(field "$r_p100" delivery_errors)"
printf '%-26s %12s %10s %10s\n' "produce 1 KiB acks=1"   "$(field "$r_p1k" msgs_per_s)"  "$(field "$r_p1k" mb_per_s)"  "$(field "$r_p1k" delivery_errors)"
printf '%-26s %12s %10s %10s\n' "produce 100 B acks=all" "$(field "$r_pall" msgs_per_s)" "$(field "$r_pall" mb_per_s)" "$(field "$r_pall" delivery_errors)"
printf '%-26s %12s %10s %10s\n' "consume 100 B"          "$(field "$r_c100" msgs_per_s)" "$(field "$r_c100" mb_per_s)" "$(field "$r_c100" consume_errors)"
printf 'latency @ %s msgs/s (achieved %s): p50 %s ms, p99 %s ms, p99.9 %s ms, max %s ms, errors %s\n' \
  "$latency_rate" "$(field "$r_lat" achieved_rate)" "$(field "$r_lat" p50_ms)" "$(field "$r_lat" p99_ms)" \
  "$(field "$r_lat" p999_ms)" "$(field "$r_lat" max_ms)" "$(field "$r_lat" delivery_errors)"
echo "broker time-to-ready: ${ready_ms} ms from exec to port accepting (broker log: $(grep -o 'ready in [0-9]* ms' "$broker_log" || echo 'no ready line'))"
echo "broker peak RSS (VmHWM): $(( peak_rss_kb / 1024 )) MiB"
echo "broker log lines at warning level or above: ${log_problems} (see $broker_log)"
