#!/usr/bin/env bash
# Start-up benchmark: how long a broker holding a lot of data takes to be ready
# again, after a clean stop and after kill -9. Builds freshet (Release) into
# build-bench/, starts a broker (--smp SMP) on a free loopback port with a fresh
# temporary log.dirs, creates one topic of PARTITIONS partitions and writes
# TOTAL_GB (10^9 bytes of payload) of RECORD_BYTES records into it, spread
# evenly over the partitions (bench/py_produce.py --partitions: freshet_load
# writes partition 0 only), acks=1, then `sync` (every write starts after one,
# as in lib.sh's load_phase). Then, ROUNDS times each:
#   clean    SIGTERM, wait for the exit (the shutdown time is printed too),
#            start again on the same port and log.dirs;
#   unclean  write BURST_MB more over all the partitions (acks=1), kill -9 the
#            broker as soon as the last record is acknowledged, start again;
#            then a clean stop and start (not measured), so that every round
#            starts from the same checkpointed state.
# "Ready" is measured two ways: the broker's own `freshet node N ready in M ms`
# log line (from Broker::start to the listeners started) and the wall time from
# exec until the listener accepts a TCP connection (lib.sh's wait_for_port,
# polling every 2 ms). Median, min and max over the rounds, beside the targets
# (clean < 200 ms; unclean < 1 s plus reading the unflushed tail).
# The unflushed tail of an unclean round is what recovery reads: for every
# partition, the segments from the one holding the checkpointed recovery point
# (recovery-point-offset-checkpoint, as left by the killed broker) to the end,
# summed; printed per round with the data on disk (du) and the segment count.
# Every start reads a page cache the writes just filled: warm-cache figures.
# Overrides: TOTAL_GB (10; fractions work), PARTITIONS (100), RECORD_BYTES
# (1000), BURST_MB (100), ROUNDS (3), SMP (2), SEGMENT_BYTES (the topic's
# segment.bytes; default the broker's, 1 GiB), PYTHON (the integration tests'
# venv, which has confluent-kafka), FRESHET_BIN (skips the build).
# Exits non-zero, after the summary, when the write or a burst fails, a stop
# is not clean (non-zero exit or no "stopped cleanly" line) or a start logs no
# ready line; a broker that dies while starting ends the script at once.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-bench"
total_gb="${TOTAL_GB:-10}"
partitions="${PARTITIONS:-100}"
record_bytes="${RECORD_BYTES:-1000}"
burst_mb="${BURST_MB:-100}"
rounds="${ROUNDS:-3}"
smp="${SMP:-2}"
segment_bytes="${SEGMENT_BYTES:-}"
python="${PYTHON:-$root/tests/integration/.venv/bin/python}"
topic=startup-bench
failed=()  # the phases that failed

command_line="$0"
for name in TOTAL_GB PARTITIONS RECORD_BYTES BURST_MB ROUNDS SMP SEGMENT_BYTES PYTHON FRESHET_BIN; do
  if [[ -n "${!name+set}" ]]; then command_line="$name=\"${!name}\" $command_line"; fi
done
load_at_start="$(uptime)"

broker_log="$build/broker-startup-bench.log"
results_file="$build/startup-bench-results.txt"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
build_freshet_unless_given "$root" "$build"
freshet="$FRESHET_BIN"
freshet_load=""  # load_phase wants it; every phase here runs py_produce
: >"$results_file"

# records_for BYTES: how many records of RECORD_BYTES make BYTES (at least 1).
records_for() { awk -v b="$1" -v s="$record_bytes" 'BEGIN { n = int(b / s); print (n > 0 ? n : 1) }'; }

# py_produce ARGS: bench/py_produce.py, for load_phase.
py_produce() { "$python" "$root/bench/py_produce.py" "$@"; }

# write_phase TITLE BYTES: BYTES of payload over every partition (load_phase, so after `sync`).
write_phase() {
  load_phase write_line "$1" py_produce --brokers "$brokers" --topic "$topic" \
    --records "$(records_for "$2")" --size "$record_bytes" --partitions "$partitions" --acks 1
}

# stop_clean TITLE: SIGTERM and wait; sets stop_ms. A non-zero exit or no new
# "stopped cleanly" line in the log is a failure.
stop_clean() {
  local title="$1" lines start_ms status=0
  lines="$(wc -l <"$broker_log")"
  start_ms="$(now_ms)"
  kill "$broker_pid"
  wait "$broker_pid" || status=$?
  stop_ms=$(( $(now_ms) - start_ms ))
  broker_pid=""
  if (( status != 0 )) || ! tail -n "+$(( lines + 1 ))" "$broker_log" | grep 'stopped cleanly' >/dev/null; then
    failed+=("$title: not a clean stop (exit $status)")
  fi
}

# kill_hard: kill -9 and reap.
kill_hard() {
  kill -9 "$broker_pid"
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=""
}

# restart TITLE: starts freshet again on the same port and log.dirs (the log is
# appended to) and sets wall_ms (exec -> the port accepts) and log_ms (its own
# "ready in" figure; "-" if it logs none within 5 s of accepting).
restart() {
  local title="$1" lines start_ms deadline ready_line=""
  lines="$(wc -l <"$broker_log")"
  start_ms="$(now_ms)"
  "$freshet" server --set "listeners=PLAINTEXT://$brokers" --set "log.dirs=$data_dir" --smp "$smp" \
    >>"$broker_log" 2>&1 &
  broker_pid=$!
  wait_for_port "$port" "$broker_pid" "$broker_log"
  wall_ms=$(( $(now_ms) - start_ms ))
  deadline=$(( $(now_ms) + 5000 ))
  until ready_line="$(tail -n "+$(( lines + 1 ))" "$broker_log" | grep -o 'ready in [0-9]* ms')" ||
    (( $(now_ms) > deadline )); do
    sleep 0.01
  done
  log_ms="$(sed -n 's/ready in \([0-9]*\) ms/\1/p' <<<"$ready_line")"
  if [[ -z "$log_ms" ]]; then
    log_ms="-"
    failed+=("$title: no ready line")
  fi
}

# recovery_tail: prints "BYTES SEGMENTS": what a start after a crash validates
# now, i.e. for each partition of the topic the segments from the one holding
# its checkpointed recovery point minus one (partition_log_open.cc) to the end.
recovery_tail() {
  /usr/bin/python3 - "$data_dir" "$topic" <<'EOF'
import os, sys
root, topic = sys.argv[1], sys.argv[2]
points = {}
try:
    with open(os.path.join(root, "recovery-point-offset-checkpoint")) as f:
        for line in f.read().splitlines()[2:]:
            fields = line.split()
            if len(fields) == 3:
                points[(fields[0], int(fields[1]))] = int(fields[2])
except FileNotFoundError:
    pass
total = segments = 0
for name in os.listdir(root):
    prefix, _, index = name.rpartition("-")
    if prefix != topic or not index.isdigit():
        continue
    path = os.path.join(root, name)
    bases = sorted(int(f[:-4]) for f in os.listdir(path) if f.endswith(".log") and f[:-4].isdigit())
    if not bases:
        continue
    point = max(points.get((topic, int(index)), 0) - 1, 0)
    first = max([b for b in bases if b <= point], default=bases[0])
    for b in bases:
        if b >= first:
            total += os.path.getsize(os.path.join(path, "%020d.log" % b))
            segments += 1
print(total, segments)
EOF
}

# stats VALUES...: "median M, min A, max B" of the numbers given.
stats() {
  printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk '
    { v[NR] = $1 }
    END {
      if (NR == 0) { print "-"; exit }
      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "median %s, min %s, max %s", m, v[1], v[NR]
    }'
}
# gb BYTES: BYTES in GB (10^9), 2 decimals.
gb() { awk -v b="$1" 'BEGIN { printf "%.2f GB", b / 1e9 }'; }
median_of() { stats "$@" | sed -n 's/^median \([0-9.]*\),.*/\1/p'; }

start_broker "$freshet" "$broker_log" "$smp"
echo "empty broker accepting connections after ${ready_ms} ms"
topic_configs=()
if [[ -n "$segment_bytes" ]]; then topic_configs=(-c "segment.bytes=$segment_bytes"); fi
"$freshet" topic create -b "$brokers" -p "$partitions" "${topic_configs[@]}" "$topic"

total_bytes="$(awk -v g="$total_gb" 'BEGIN { printf "%.0f", g * 1e9 }')"
write_phase "write ${total_gb} GB over $partitions partitions, ${record_bytes} B records, acks=1" "$total_bytes"
first_write="$write_line"
echo "== sync"
sync
on_disk_bytes="$(du -sB1 "$data_dir" | cut -f1)"
apparent_bytes="$(du -sb "$data_dir" | cut -f1)"
segment_bytes_on_disk="$(find "$data_dir" -path "*/$topic-*" -name '*.log' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')"
segment_count="$(find "$data_dir" -path "*/$topic-*" -name '*.log' | wc -l)"

clean_wall=() clean_log=() clean_stop=()
for (( round = 1; round <= rounds; ++round )); do
  echo "== clean round $round: SIGTERM, start"
  stop_clean "clean round $round"
  clean_stop+=("$stop_ms")
  restart "clean round $round"
  clean_wall+=("$wall_ms")
  clean_log+=("$log_ms")
  echo "stopped in ${stop_ms} ms; ready: ${log_ms} ms (broker log), ${wall_ms} ms (exec -> accepting)"
done

burst_bytes=$(( burst_mb * 1000000 ))
unclean_wall=() unclean_log=() tail_bytes=() tail_segments=()
for (( round = 1; round <= rounds; ++round )); do
  write_phase "unclean round $round: write ${burst_mb} MB over $partitions partitions, then kill -9" "$burst_bytes"
  kill_hard
  read -r bytes segments <<<"$(recovery_tail)"
  tail_bytes+=("$bytes")
  tail_segments+=("$segments")
  restart "unclean round $round"
  unclean_wall+=("$wall_ms")
  unclean_log+=("$log_ms")
  echo "recovery validates $(( bytes / 1000000 )) MB in $segments segments; ready: ${log_ms} ms (broker log)," \
    "${wall_ms} ms (exec -> accepting)"
  stop_clean "unclean round $round: the clean stop after it"
  restart "unclean round $round: the clean start after it"
done
final_disk_bytes="$(du -sB1 "$data_dir" | cut -f1)"
final_segments="$(find "$data_dir" -path "*/$topic-*" -name '*.log' | wc -l)"
kill -0 "$broker_pid" 2>/dev/null || failed+=("the broker exited at the end")

echo
echo "== summary: broker start-up with data (MB = 10^6 bytes)"
echo "command: (cd $root && $command_line)"
echo "machine load at start: $load_at_start"
echo "machine load at end:   $(uptime)"
echo "freshet: --smp $smp; topic $topic: $partitions partitions, segment.bytes ${segment_bytes:-broker default}"
echo "written: $(field "$first_write" delivered) records of ${record_bytes} B ($(gb "$total_bytes") payload)" \
  "at $(field "$first_write" mb_per_s) MB/s ($(field "$first_write" client), acks=1, linger.ms=100, batch.size=1000000)"
echo "on disk after the write: $on_disk_bytes bytes allocated (du, $(gb "$on_disk_bytes")), $apparent_bytes apparent" \
  "(du -b, $(gb "$apparent_bytes")), of which segment files $segment_bytes_on_disk ($(gb "$segment_bytes_on_disk"));" \
  "$segment_count segments in $partitions partitions"
echo "on disk at the end (after the bursts): $final_disk_bytes bytes allocated ($(gb "$final_disk_bytes")), $final_segments segments"
echo "every start reads a page cache the writes just filled (warm cache)"
printf '%-30s %-44s %-44s %s\n' "ready after" "broker log (ready in M ms)" "exec -> accepting a connection" target
printf '%-30s %-44s %-44s %s\n' "clean stop ($rounds rounds)" "$(stats "${clean_log[@]}") ms" "$(stats "${clean_wall[@]}") ms" \
  "< 200 ms: $(awk -v m="$(median_of "${clean_wall[@]}")" 'BEGIN { print (m != "" && m < 200 ? "met" : "missed") }') (median, exec -> accepting)"
printf '%-30s %-44s %-44s %s\n' "kill -9 ($rounds rounds)" "$(stats "${unclean_log[@]}") ms" "$(stats "${unclean_wall[@]}") ms" \
  "< 1 s plus reading the tail below"
echo "clean stop (SIGTERM -> exit): $(stats "${clean_stop[@]}") ms"
echo "kill -9 rounds: ${burst_mb} MB written just before each kill; recovery validated per round:"
for (( round = 1; round <= rounds; ++round )); do
  i=$(( round - 1 ))
  echo "  round $round: $(( ${tail_bytes[$i]} / 1000000 )) MB in ${tail_segments[$i]} segments;" \
    "ready in ${unclean_log[$i]} ms (broker log), ${unclean_wall[$i]} ms (exec -> accepting)"
done
echo "broker log: $broker_log; write result lines: $results_file"
echo "broker log lines at warning level or above: $(grep -ciE '\[(warning|error|critical)\]' "$broker_log" || true)"
if (( ${#failed[@]} > 0 )); then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
