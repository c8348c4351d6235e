#!/usr/bin/env bash
# Log compaction at the broker level, Freshet beside Apache Kafka with the same
# client in the same run: builds freshet (Release) into build-bench/, starts a
# Freshet broker (--smp SMP) and an Apache Kafka 4.x KRaft node
# (bench/kafka_broker.sh) on free loopback ports with fresh temporary
# directories, and on each broker in turn:
#   warm-up     WARMUP_MB of the same keyed records into a topic of its own
#               (cleanup.policy=delete), not counted: Kafka's JVM compiles its
#               hot paths under load;
#   compacted   DATA_MB (10^6 bytes of payload) of RECORD_BYTES records with
#               KEYS distinct keys, each key in turn (bench/py_produce.py
#               --keys: freshet_load sends no keys), acks=1, into one
#               partition with cleanup.policy=compact,
#               segment.bytes=SEGMENT_BYTES, min.cleanable.dirty.ratio=0.01:
#               the cleaner cleans rolled segments while the produce runs
#               (both brokers look for dirty logs every CLEANER_BACKOFF_MS,
#               1000, not their default 15000, which would leave a produce of
#               a few seconds alone; the summary counts the passes that ended
#               during the produce);
#   cleaning    waits until the cleaner has cleaned up to the active segment
#               (a cleaner line whose end offset reaches the active segment's
#               base offset, which the cleaner never cleans; at most
#               CLEAN_TIMEOUT_S);
#   plain       the same load into a cleanup.policy=delete topic with the same
#               segment size, once the cleaner is idle: compacted / plain is
#               what the cleaner costs the produce path.
# The cleaner's own figures come from each broker's log: Freshet's
#   cleaner N: cleaned T-0 up to offset X in S s: K keys mapped, R -> W bytes, M MB/s
# (R: every byte read, building the offset map and copying, so M = R / S), and
# Kafka's LogCleaner report (Kafka's distribution sends it to log-cleaner.log;
# bench/kafka/log4j2.properties sends it to the broker's log with the rest):
#   Log cleaner thread N cleaned log T-0 (dirty section = [A, B])
#   X MB of log processed in Y seconds (Z MB/sec).
#   Indexed X MB in Y seconds (...)   Start size: ...   End size: X MB (...)
# (Kafka's MB is 2^20 bytes; "processed" counts the copy only, "Indexed" the
# map; seconds = processed / its MB/sec, which has more digits than Y). The
# summary gives each broker's figure as it reports it (converted to 10^6 B) and
# the same measure for both, all bytes read (map + copy) per second, summed
# over the cleaner's passes on the topic, and the log's size on disk before
# (the plain topic, the same records never cleaned) and after cleaning.
# Both brokers keep their defaults for the cleaner but for the backoff (one
# thread, 128 MiB of offset map, log.cleaner.io.max.bytes.per.second unlimited,
# left unset on both); the summary prints what each reports
# (DescribeConfigs). Overrides: DATA_MB (1024), KEYS
# (100000), RECORD_BYTES (1024), SEGMENT_BYTES (134217728), WARMUP_MB (DATA_MB
# / 4), CLEAN_TIMEOUT_S (600), CLEANER_BACKOFF_MS (1000), SMP (2), KAFKA=0 (Freshet only),
# KAFKA_PROPERTIES, PYTHON (the integration tests' venv, which has
# confluent-kafka), FRESHET_BIN (skips the build).
# Exits non-zero, after the summary, when a phase fails (non-zero exit or no
# result line), the cleaner does not finish in time, there is nothing to clean
# (the data fits in one segment) or a broker dies.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-bench"
data_mb="${DATA_MB:-1024}"
keys="${KEYS:-100000}"
record_bytes="${RECORD_BYTES:-1024}"
segment_bytes="${SEGMENT_BYTES:-134217728}"
warmup_mb="${WARMUP_MB:-$(( data_mb / 4 ))}"
clean_timeout_s="${CLEAN_TIMEOUT_S:-600}"
cleaner_backoff_ms="${CLEANER_BACKOFF_MS:-1000}"
smp="${SMP:-2}"
with_kafka="${KAFKA:-1}"
python="${PYTHON:-$root/tests/integration/.venv/bin/python}"
failed=()  # the phases that failed

command_line="$0"
for name in DATA_MB KEYS RECORD_BYTES SEGMENT_BYTES WARMUP_MB CLEAN_TIMEOUT_S CLEANER_BACKOFF_MS SMP KAFKA KAFKA_PROPERTIES PYTHON FRESHET_BIN; do
  if [[ -n "${!name+set}" ]]; then command_line="$name=\"${!name}\" $command_line"; fi
done
load_at_start="$(uptime)"

results_file="$build/cleaner-bench-results.txt"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
# shellcheck source=bench/kafka_broker.sh
source "$root/bench/kafka_broker.sh"
build_freshet_unless_given "$root" "$build"
freshet="$FRESHET_BIN"
freshet_load=""  # load_phase wants it; every phase here runs py_produce
: >"$results_file"

# py_produce ARGS: bench/py_produce.py, for load_phase.
py_produce() { "$python" "$root/bench/py_produce.py" "$@"; }

# The brokers under test: name -> bootstrap address, pid, log file, partition dirs' parent.
declare -A address pid log_file log_dir
start_broker "$freshet" "$build/broker-cleaner-bench.log" "$smp" --set "log.cleaner.backoff.ms=$cleaner_backoff_ms"
address[freshet]="$brokers"
pid[freshet]="$broker_pid"
log_file[freshet]="$build/broker-cleaner-bench.log"
log_dir[freshet]="$data_dir"
broker_names=(freshet)
if (( with_kafka )); then
  kafka_classpath "$build"
  # Ours first: a property KAFKA_PROPERTIES repeats wins (the last one read does).
  KAFKA_PROPERTIES="log.cleaner.backoff.ms=$cleaner_backoff_ms ${KAFKA_PROPERTIES:-}" start_kafka "$build/kafka-cleaner-bench.log"
  address[kafka]="$kafka_brokers"
  pid[kafka]="$kafka_pid"
  log_file[kafka]="$build/kafka-cleaner-bench.log"
  log_dir[kafka]="$kafka_dir/data"
  broker_names+=(kafka)
fi

records=$(( data_mb * 1000000 / record_bytes ))
warmup_records=$(( warmup_mb * 1000000 / record_bytes ))
load=(--records "$records" --size "$record_bytes" --keys "$keys" --acks 1)
compact_configs=(-c cleanup.policy=compact -c "segment.bytes=$segment_bytes" -c min.cleanable.dirty.ratio=0.01)
plain_configs=(-c cleanup.policy=delete -c "segment.bytes=$segment_bytes")

# cleaner_passes BROKER TOPIC: one line per cleaner pass over partition 0 of
# TOPIC in BROKER's log so far: "END_OFFSET SECONDS READ_BYTES WRITTEN_BYTES OWN_BYTES",
# READ_BYTES every byte read (map + copy), OWN_BYTES what the broker's own MB/s counts.
cleaner_passes() {
  local log="${log_file[$1]}" partition="$2-0"
  if [[ "$1" == freshet ]]; then
    sed -n "s/.*cleaner [0-9]*: cleaned $partition up to offset \([0-9]*\) in \([0-9.]*\) s: [0-9]* keys mapped, \([0-9]*\) -> \([0-9]*\) bytes.*/\1 \2 \3 \4 \3/p" "$log"
  else
    awk -v partition="$partition" '
      function mib(text) { gsub(",", "", text); return text * 1048576 }
      $0 ~ "Log cleaner thread [0-9]+ cleaned log " partition " \\(dirty section" {
        active = 1; end = $NF; sub(/\]\)$/, "", end); next
      }
      active && / MB of log processed in / { processed = mib($1); rate = $(NF - 1); sub(/^\(/, "", rate); gsub(",", "", rate) }
      active && /^[ \t]*Indexed / { indexed = mib($2) }
      active && /^[ \t]*End size: / { written = mib($3) }
      active && /size reduction/ {
        printf "%d %.3f %.0f %.0f %.0f\n", end, (rate > 0 ? processed / 1048576 / rate : 0), processed + indexed, written, processed
        active = 0
      }' "$log"
  fi
}

# active_base BROKER TOPIC: the base offset of partition 0's active (last) segment.
active_base() {
  find "${log_dir[$1]}/$2-0" -maxdepth 1 -name '*.log' -printf '%f\n' | sed 's/\.log$//' | sort -n | tail -1 | sed 's/^0*\([0-9]\)/\1/'
}

# log_bytes BROKER TOPIC: the bytes of partition 0's segment files (*.log; not
# those a cleaning retired and has not deleted yet).
log_bytes() {
  find "${log_dir[$1]}/$2-0" -maxdepth 1 -name '*.log' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }'
}

# wait_cleaned BROKER TOPIC: waits until BROKER's cleaner has cleaned TOPIC up to
# its active segment; sets clean_wait_s (from the call until then).
wait_cleaned() {
  local broker="$1" topic="$2" base start_ms deadline last
  clean_wait_s="-"
  base="$(active_base "$broker" "$topic")"
  if [[ -z "$base" || "$base" == 0 ]]; then
    failed+=("$broker: nothing to clean, $topic is one segment (raise DATA_MB or lower SEGMENT_BYTES)")
    return
  fi
  echo "== $broker: waiting for the cleaner to reach offset $base (the active segment), at most ${clean_timeout_s} s"
  start_ms="$(now_ms)"
  deadline=$(( start_ms + clean_timeout_s * 1000 ))
  while :; do
    last="$(cleaner_passes "$broker" "$topic" | awk '$1 > m { m = $1 } END { print m + 0 }')"
    if (( last >= base )); then break; fi
    kill -0 "${pid[$broker]}" 2>/dev/null || { failed+=("$broker exited while cleaning"); return; }
    if (( $(now_ms) > deadline )); then
      failed+=("$broker: the cleaner reached offset $last of $base in ${clean_timeout_s} s")
      return
    fi
    sleep 0.5
  done
  clean_wait_s="$(awk -v ms="$(( $(now_ms) - start_ms ))" 'BEGIN { printf "%.1f", ms / 1000 }')"
}

# cleaner_settings BROKER: the broker's log.cleaner.* settings as DescribeConfigs gives them.
cleaner_settings() {
  "$python" - "${address[$1]}" <<'EOF' || echo "(DescribeConfigs failed)"
import sys
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
admin = AdminClient({"bootstrap.servers": sys.argv[1]})
broker = next(iter(admin.list_topics(timeout=10).brokers))
resource = ConfigResource(ResourceType.BROKER, str(broker))
configs = admin.describe_configs([resource])[resource].result(timeout=10)
names = ["log.cleaner.io.max.bytes.per.second", "log.cleaner.threads", "log.cleaner.dedupe.buffer.size",
         "log.cleaner.io.buffer.size", "log.cleaner.backoff.ms"]
print(" ".join(f"{n}={configs[n].value if n in configs else '?'}" for n in names))
EOF
}

declare -A result clean_wait before_bytes after_bytes settings passes_during
for broker in "${broker_names[@]}"; do
  "$freshet" topic create -b "${address[$broker]}" -p 1 "${plain_configs[@]}" cleaner-warm-up cleaner-plain >/dev/null
  "$freshet" topic create -b "${address[$broker]}" -p 1 "${compact_configs[@]}" cleaner-compacted >/dev/null
  settings[$broker]="$(cleaner_settings "$broker")"
  if (( warmup_records > 0 )); then
    load_phase phase_line "$broker warm-up: ${warmup_mb} MB keyed, delete (not counted)" \
      py_produce --brokers "${address[$broker]}" --topic cleaner-warm-up "${load[@]}" --records "$warmup_records"
  fi
  load_phase phase_line "$broker: ${data_mb} MB, ${keys} keys, into cleanup.policy=compact" \
    py_produce --brokers "${address[$broker]}" --topic cleaner-compacted "${load[@]}"
  result[$broker,compacted]="$phase_line"
  passes_during[$broker]="$(cleaner_passes "$broker" cleaner-compacted | wc -l)"
  wait_cleaned "$broker" cleaner-compacted
  clean_wait[$broker]="$clean_wait_s"
  load_phase phase_line "$broker: ${data_mb} MB, ${keys} keys, into cleanup.policy=delete" \
    py_produce --brokers "${address[$broker]}" --topic cleaner-plain "${load[@]}"
  result[$broker,plain]="$phase_line"
  before_bytes[$broker]="$(log_bytes "$broker" cleaner-plain)"
  after_bytes[$broker]="$(log_bytes "$broker" cleaner-compacted)"
  kill -0 "${pid[$broker]}" 2>/dev/null || failed+=("$broker exited during the phases")
done

# ratio A B: A / B to 3 decimals ("-" unless both are numbers and B > 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.3f", a / b; else print "-" }'; }
# pass_totals BROKER: "PASSES SECONDS READ_BYTES OWN_BYTES" over the compacted topic's passes.
pass_totals() {
  cleaner_passes "$1" cleaner-compacted | awk '{ n++; s += $2; r += $3; o += $5 } END { printf "%d %.3f %.0f %.0f\n", n, s, r, o }'
}
mb_per_s() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / 1e6 / s; else print "-" }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

echo
echo "== summary: log compaction (MB = 10^6 bytes; produce MB/s counts payload only, as freshet_load does)"
echo "command: (cd $root && $command_line)"
echo "machine load at start: $load_at_start"
echo "machine load at end:   $(uptime)"
echo "load: $records records of ${record_bytes} B, $keys keys in turn, acks=1, one partition," \
  "segment.bytes=$segment_bytes, min.cleanable.dirty.ratio=0.01 (compacted);" \
  "client $(field "${result[freshet,compacted]}" client), linger.ms=100, batch.size=1000000"
echo "freshet: --smp $smp; cleaner settings: ${settings[freshet]}"
if (( with_kafka )); then
  echo "kafka:   Apache Kafka $kafka_version, single KRaft node${KAFKA_PROPERTIES:+, KAFKA_PROPERTIES=$KAFKA_PROPERTIES}; cleaner settings: ${settings[kafka]}"
fi
echo
printf '%-8s %14s %14s %8s %14s %16s %7s %14s %14s %12s\n' broker "produce compact" "produce plain" ratio \
  "cleaner MB/s" "read MB/s (all)" "passes" "bytes before" "bytes after" "clean wait s"
for broker in "${broker_names[@]}"; do
  read -r passes seconds read_bytes own_bytes <<<"$(pass_totals "$broker")"
  compacted_mb_s="$(field "${result[$broker,compacted]}" mb_per_s)"
  plain_mb_s="$(field "${result[$broker,plain]}" mb_per_s)"
  printf '%-8s %14s %14s %8s %14s %16s %7s %14s %14s %12s\n' "$broker" "${compacted_mb_s:--}" "${plain_mb_s:--}" \
    "$(ratio "$compacted_mb_s" "$plain_mb_s")" "$(mb_per_s "$own_bytes" "$seconds")" "$(mb_per_s "$read_bytes" "$seconds")" \
    "$passes (${passes_during[$broker]})" "${before_bytes[$broker]}" "${after_bytes[$broker]}" "${clean_wait[$broker]}"
done
echo "produce: MB/s (records/s):"
for broker in "${broker_names[@]}"; do
  echo "  $broker: compacted $(field "${result[$broker,compacted]}" mb_per_s) ($(field "${result[$broker,compacted]}" msgs_per_s))," \
    "plain $(field "${result[$broker,plain]}" mb_per_s) ($(field "${result[$broker,plain]}" msgs_per_s))"
done
echo "cleaner MB/s: as the broker counts it (Freshet: map + copy reads; Kafka: copy reads, its MB/sec), over the" \
  "seconds of all its passes on the topic; read MB/s (all): map + copy reads for both. Passes (end offset, seconds, read, written):"
for broker in "${broker_names[@]}"; do
  while read -r end seconds read_bytes written own_bytes; do
    echo "  $broker: to offset $end in $seconds s, read $(mb "$read_bytes") MB, wrote $(mb "$written") MB"
  done < <(cleaner_passes "$broker" cleaner-compacted)
done
echo "passes: all the cleaner's passes on the compacted topic (in brackets those that ended during its produce)"
echo "bytes before = the plain topic's segment files (the same records, never cleaned); after = the compacted topic's" \
  "(the active segment is never cleaned); clean wait = from the end of the compacted produce until the cleaner reached the active segment"
read -r _ freshet_seconds _ freshet_own <<<"$(pass_totals freshet)"
freshet_cleaner="$(mb_per_s "$freshet_own" "$freshet_seconds")"
echo "target: Freshet cleaner >= 200 MB/s on one core (log.cleaner.threads=1): ${freshet_cleaner} MB/s," \
  "$(awk -v m="$freshet_cleaner" 'BEGIN { print (m ~ /^[0-9.]+$/ && m >= 200 ? "met" : "missed") }')"
logs="${log_file[freshet]}"
if (( with_kafka )); then logs+=" ${log_file[kafka]}"; fi
echo "raw result lines: $results_file; broker logs: $logs"
echo "freshet log lines at warning level or above: $(grep -ciE '\[(warning|error|critical)\]' "${log_file[freshet]}" || true)"
if (( ${#failed[@]} > 0 )); then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
