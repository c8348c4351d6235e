#!/usr/bin/env bash
# Exactly-once benchmark (issue 9, part 7), Freshet beside Apache Kafka: builds
# freshet and freshet_load (Release) into build-bench/, starts a Freshet broker
# (--smp 2) and an Apache Kafka 4.x KRaft node (bench/kafka_broker.sh) on free
# loopback ports with fresh temporary directories, and measures on both, with
# the same client:
#   plain       RECORDS records of 100 B, acks=all;
#   plain5      the same with at most 5 requests in flight, the cap
#               idempotence puts on librdkafka's connection;
#   plain1      the same with one request in flight: what librdkafka's
#               idempotent producer sends to a partition (see java_idempotent),
#               so idempotent/plain1 is the broker's share of idempotence
#               with that client;
#   idempotent  plain with enable.idempotence=true;
#   txn1, txn8  TRANSACTIONS transactions of 100 records of 100 B back to back,
#               from 1 producer and shared by 8 (freshet_load txn);
#   java_plain, java_idempotent
#               plain and idempotent again with the Java client (Apache
#               Kafka's ProducerPerformance, bench/java_producer.sh: the same
#               batching, 5 requests in flight), which pipelines an idempotent
#               producer's requests to a partition as it does a plain one's:
#               librdkafka caps an idempotent producer's in-flight MESSAGES
#               per partition at 5 (rdkafka_broker.c, RD_KAFKA_IDEMP_MAX_INFLIGHT
#               minus rktp_msgs_inflight), so with batches of 5 or more
#               records it waits for each ProduceRequest's answer before the
#               next, against any broker.
# After a warm-up on each broker (a quarter of plain and of txn8, not counted:
# Kafka's JVM compiles its hot paths under load), each of ROUNDS rounds runs
# every variant on both brokers, variant after variant, so that a change in
# the machine's load hits all of them alike; the broker that goes first
# alternates from round to round. Every phase writes a topic of its own and
# starts after `sync`. Both brokers run for the whole run (the idle one costs
# about 1% of the machine for Kafka, nothing for Freshet).
# The summary gives medians over the rounds, the idempotent/plain,
# idempotent/plain5, idempotent/plain1 and transactional/plain ratios of each broker (medians of
# the per-round ratios) and Freshet/Kafka ratios, with the command, the
# machine's load and how each broker syncs. Overrides: RECORDS (5000000), TRANSACTIONS (2000),
# ROUNDS (5), VARIANTS (all: "plain idempotent" runs those only, and the
# ratios between them), SMP (2), WARM_MEMORY_MB (6500, see run_broker_bench.sh),
# KAFKA=0 (Freshet only), KAFKA_PROPERTIES, LOAD_ARGS="-X k=v ...".
# Exits non-zero, after the summary, when a phase fails (non-zero exit or no
# result line), the warm-up fails or a broker dies.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-bench"
records="${RECORDS:-5000000}"
transactions="${TRANSACTIONS:-2000}"
rounds="${ROUNDS:-5}"
smp="${SMP:-2}"
warm_memory_mb="${WARM_MEMORY_MB:-6500}"
with_kafka="${KAFKA:-1}"
failed=()  # the phases that failed

command_line="$0"
for name in RECORDS TRANSACTIONS ROUNDS VARIANTS SMP WARM_MEMORY_MB KAFKA KAFKA_PROPERTIES LOAD_ARGS; do
  if [[ -n "${!name+set}" ]]; then command_line="$name=\"${!name}\" $command_line"; fi
done
load_at_start="$(uptime)"

echo "== building freshet and freshet_load (Release) in $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFRESHET_BUILD_BENCH=ON >/dev/null
ninja -C "$build" -j2 freshet freshet_load >/dev/null
freshet="$build/freshet"
freshet_load="$build/bench/freshet_load"
results_file="$build/eos-bench-results.txt"
: >"$results_file"

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
# shellcheck source=bench/kafka_broker.sh
source "$root/bench/kafka_broker.sh"
# shellcheck source=bench/java_producer.sh
source "$root/bench/java_producer.sh"
kafka_classpath "$build"  # the broker's and ProducerPerformance's
warm_memory "$warm_memory_mb"

# The brokers under test: name -> bootstrap address and pid.
declare -A address pid
start_broker "$freshet" "$build/broker-eos-bench.log" "$smp"
address[freshet]="$brokers"
pid[freshet]="$broker_pid"
broker_names=(freshet)
started="freshet accepted connections ${ready_ms} ms after exec"
if (( with_kafka )); then
  start_kafka "$build/kafka-eos-bench.log"
  address[kafka]="$kafka_brokers"
  pid[kafka]="$kafka_pid"
  broker_names+=(kafka)
  started+=", kafka ${kafka_ready_ms} ms after the JVM started (storage formatted before)"
fi

all_variants=(plain plain5 plain1 idempotent txn1 txn8 java_plain java_idempotent)
# shellcheck disable=SC2206 # VARIANTS is a list of names
variants=(${VARIANTS:-${all_variants[@]}})
declare -A variant_title=(
  [plain]="produce 100 B acks=all"
  [plain5]="produce 100 B acks=all, 5 in flight"
  [plain1]="produce 100 B acks=all, 1 in flight"
  [idempotent]="produce 100 B acks=all idempotent"
  [txn1]="txn 100 x 100 B, 1 producer"
  [txn8]="txn 100 x 100 B, 8 producers"
  [java_plain]="java: produce 100 B acks=all"
  [java_idempotent]="java: produce 100 B acks=all idempotent"
)
# topic_of VARIANT ROUND: the topic a phase writes ('-' for '_': Kafka warns of
# topic names holding both '.' and '_', which collide in metric names).
topic_of() { echo "eos-${1//_/-}-$2"; }
# selected VARIANT: whether this run measures it.
selected() { [[ " ${variants[*]} " == *" $1 "* ]]; }
# variant_args VARIANT: freshet_load's arguments for it, without --brokers and --topic.
variant_args() {
  case "$1" in
    plain) echo produce --records "$records" --size 100 --acks all ;;
    plain5) echo produce --records "$records" --size 100 --acks all -X max.in.flight.requests.per.connection=5 ;;
    plain1) echo produce --records "$records" --size 100 --acks all -X max.in.flight.requests.per.connection=1 ;;
    idempotent) echo produce --records "$records" --size 100 --acks all -X enable.idempotence=true ;;
    txn1) echo txn --producers 1 --transactions "$transactions" --records-per-txn 100 --size 100 ;;
    txn8) echo txn --producers 8 --transactions "$transactions" --records-per-txn 100 --size 100 ;;
    java_plain) echo java_produce --records "$records" --size 100 --acks all ;;
    java_idempotent) echo java_produce --records "$records" --size 100 --acks all -X enable.idempotence=true ;;
  esac
}

for broker in "${broker_names[@]}"; do
  topics=(eos-warm-up-plain eos-warm-up-txn8)
  for (( round = 1; round <= rounds; ++round )); do
    for variant in "${variants[@]}"; do topics+=("$(topic_of "$variant" "$round")"); done
  done
  "$freshet" topic create -b "${address[$broker]}" -p 1 "${topics[@]}" >/dev/null
done

# A quarter of the plain and txn8 phases on each broker first, not counted:
# the JVM compiles Kafka's hot paths during its first seconds of load.
for broker in "${broker_names[@]}"; do
  # shellcheck disable=SC2046 # variant_args is a list of words
  load_phase phase_line "$broker warm-up: ${variant_title[plain]}" $(variant_args plain) \
    --records "$(( records / 4 ))" --brokers "${address[$broker]}" --topic eos-warm-up-plain
  # shellcheck disable=SC2046
  load_phase phase_line "$broker warm-up: ${variant_title[txn8]}" $(variant_args txn8) \
    --transactions "$(( transactions / 4 ))" --brokers "${address[$broker]}" --topic eos-warm-up-txn8
done

# result[BROKER,VARIANT,ROUND] = freshet_load's line; cpu_us_per_record[...] = the
# broker's CPU time (user + system) during the phase per record written.
declare -A result cpu_us_per_record
ticks_per_s="$(getconf CLK_TCK)"
for (( round = 1; round <= rounds; ++round )); do
  order=("${broker_names[@]}")
  if (( round % 2 == 0 && ${#order[@]} == 2 )); then order=("${order[1]}" "${order[0]}"); fi
  for variant in "${variants[@]}"; do
    for broker in "${order[@]}"; do
      key="$broker,$variant,$round"
      kill -0 "${pid[$broker]}" 2>/dev/null || { failed+=("$broker exited before $key"); continue; }
      ticks_before="$(cpu_ticks "${pid[$broker]}")"
      # shellcheck disable=SC2046 # variant_args is a list of words
      load_phase phase_line "$broker round $round: ${variant_title[$variant]}" $(variant_args "$variant") \
        --brokers "${address[$broker]}" --topic "$(topic_of "$variant" "$round")"
      ticks="$(( $(cpu_ticks "${pid[$broker]}") - ticks_before ))"
      result[$key]="$phase_line"
      written="$(field "$phase_line" delivered)"
      cpu_us_per_record[$key]="$(awk -v t="$ticks" -v hz="$ticks_per_s" -v n="${written:-0}" \
        'BEGIN { if (n > 0) printf "%.2f", t / hz * 1e6 / n; else print "-" }')"
    done
  done
done
for broker in "${broker_names[@]}"; do
  kill -0 "${pid[$broker]}" 2>/dev/null || failed+=("$broker exited during the phases")
done

# median VALUES...: the median of the numbers given ("-" if none).
median() {
  printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# ratio A B: A / B to 3 decimals ("-" unless both are numbers and B > 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.3f", a / b; else print "-" }'; }
# per_round BROKER VARIANT KEY: KEY of every round's result, space separated.
per_round() {
  local r out=()
  for (( r = 1; r <= rounds; ++r )); do out+=("$(field "${result[$1,$2,$r]:-}" "$3")"); done
  echo "${out[*]}"
}
# round_ratios BROKER VARIANT BASE: msgs_per_s of VARIANT / of BASE, round by round.
round_ratios() {
  local r out=()
  for (( r = 1; r <= rounds; ++r )); do
    out+=("$(ratio "$(field "${result[$1,$2,$r]:-}" msgs_per_s)" "$(field "${result[$1,$3,$r]:-}" msgs_per_s)")")
  done
  echo "${out[*]}"
}
# medians BROKER VARIANT KEY: the median over the rounds of KEY.
medians() {
  # shellcheck disable=SC2046 # per_round is a list of numbers
  median $(per_round "$1" "$2" "$3")
}
cpu_medians() {
  local r out=()
  for (( r = 1; r <= rounds; ++r )); do out+=("${cpu_us_per_record[$1,$2,$r]:-}"); done
  median "${out[@]}"
}

echo
echo "== summary: exactly-once produce (MB = 10^6 payload bytes; median of $rounds rounds, every round in brackets)"
echo "command: (cd $root && $command_line)"
echo "machine load at start: $load_at_start"
echo "machine load at end:   $(uptime)"
echo "memory: $memory_note"
echo "freshet: --smp $smp; answers acks=all once fdatasync'ed (group commit), as it does transaction state and markers"
if (( with_kafka )); then
  if [[ -n "${KAFKA_PROPERTIES:-}" ]]; then
    echo "kafka:   Apache Kafka $kafka_version, single KRaft node, its defaults (which never fsync) overridden by" \
      "KAFKA_PROPERTIES=$KAFKA_PROPERTIES"
  else
    echo "kafka:   Apache Kafka $kafka_version, single KRaft node, its defaults: NO FSYNC on produce," \
      "transaction state or markers (log.flush.interval.messages unbounded)"
  fi
fi
echo "client: freshet_load (librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?')), produce: linger.ms=1000," \
  "batch.size=1000000; txn: linger.ms=5, commit_transaction after each 100 records;" \
  "java: ProducerPerformance $kafka_version, batch.size=1000000, linger.ms=1000, 5 in flight"
echo
printf '%-42s %-8s %10s %8s %10s  %s\n' variant broker msgs/s txns/s "cpu us/rec" "msgs/s every round"
for variant in "${variants[@]}"; do
  for broker in "${broker_names[@]}"; do
    txns="-"
    [[ "$variant" == txn* ]] && txns="$(medians "$broker" "$variant" txns_per_s)"
    printf '%-42s %-8s %10s %8s %10s  [%s]\n' "${variant_title[$variant]}$memory_tag" "$broker" \
      "$(medians "$broker" "$variant" msgs_per_s)" "$txns" "$(cpu_medians "$broker" "$variant")" \
      "$(per_round "$broker" "$variant" msgs_per_s)"
  done
done
echo
echo "ratios of records/s, round by round (the issue asks idempotent / plain >= 0.95):"
for broker in "${broker_names[@]}"; do
  for pair in idempotent/plain idempotent/plain5 idempotent/plain1 java_idempotent/java_plain plain5/plain txn1/plain txn8/plain; do
    selected "${pair%/*}" && selected "${pair#*/}" || continue
    # shellcheck disable=SC2046 # round_ratios is a list of numbers
    printf '  %-8s %-26s %s  [%s]\n' "$broker" "$pair" \
      "$(median $(round_ratios "$broker" "${pair%/*}" "${pair#*/}"))" "$(round_ratios "$broker" "${pair%/*}" "${pair#*/}")"
  done
done
if (( with_kafka )); then
  echo "freshet / kafka (medians; above 1 = Freshet faster):"
  for variant in "${variants[@]}"; do
    printf '  %-36s records/s %s\n' "${variant_title[$variant]}" \
      "$(ratio "$(medians freshet "$variant" msgs_per_s)" "$(medians kafka "$variant" msgs_per_s)")"
  done
fi
for variant in txn1 txn8; do
  selected "$variant" || continue
  for broker in "${broker_names[@]}"; do
    printf 'time from begin to committed, %-5s %-8s p50 %s ms, p99 %s ms (medians over rounds)\n' "$variant" "$broker" \
      "$(medians "$broker" "$variant" txn_p50_ms)" "$(medians "$broker" "$variant" txn_p99_ms)"
  done
done
logs="$build/broker-eos-bench.log"
if (( with_kafka )); then logs+=" $build/kafka-eos-bench.log"; fi
echo "$started"
echo "raw result lines: $results_file; broker logs: $logs"
echo "freshet log lines at warning level or above: $(grep -ciE '\[(warning|error|critical)\]' "$build/broker-eos-bench.log" || true)"
if (( ${#failed[@]} > 0 )); then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
