# shellcheck shell=bash
# The Java client's load in the bench scripts (source it after kafka_broker.sh
# and kafka_classpath): Apache Kafka's own ProducerPerformance (the class
# behind kafka-producer-perf-test.sh, kafka-tools from bench/kafka/pom.xml)
# with the Java client of the same version, driven through freshet_load's
# produce flags so that a variant can name either client.
#
# java_produce --brokers B --topic T --records N --size BYTES --acks 1|all [-X k=v]...
#   runs ProducerPerformance at full speed (--throughput -1) with the batching
#   of freshet_load produce (batch.size 1000000, linger.ms 1000; a 256 MiB
#   buffer, room for as many batches as librdkafka queues), the client's
#   default 5 requests in flight, and enable.idempotence=false unless -X says
#   otherwise (the Java client turns it on by default since 3.0); -X
#   properties are applied last. With its defaults (batch.size 16384,
#   linger.ms 5) the client itself is the bottleneck on this machine (about
#   190 k records/s, idempotent or not, against either broker). Prints
#   its result as freshet_load does, one key=value line:
#     mode=produce client=java-VERSION delivered=N msgs_per_s=X mb_per_s=Y p50_ms= p99_ms=
#   (MB = 10^6 payload bytes; latencies are ProducerPerformance's, from send()
#   to the acknowledgement, so they include the time a record waits for room
#   in the client's buffer). Exits non-zero when the tool fails or prints no
#   summary.
java_produce() {
  local brokers="" topic="" records="" size="" acks="" properties=() summary
  while (( $# > 0 )); do
    case "$1" in
      --brokers) brokers="$2" ;;
      --topic) topic="$2" ;;
      --records) records="$2" ;;
      --size) size="$2" ;;
      --acks) acks="$2" ;;
      -X) properties+=("$2") ;;
      *) echo "java_produce: unknown flag $1" >&2; return 2 ;;
    esac
    shift 2
  done
  # The summary is the last line that ends in "99.9th."; the periodic
  # progress lines end without the percentiles.
  summary="$(java -Xmx1G -XX:+UseG1GC -cp "$kafka_cp" "-Dlog4j2.configurationFile=$kafka_log4j" \
    org.apache.kafka.tools.ProducerPerformance --topic "$topic" --num-records "$records" \
    --record-size "$size" --throughput -1 --producer-props "bootstrap.servers=$brokers" \
    "acks=$acks" batch.size=1000000 linger.ms=1000 buffer.memory=268435456 enable.idempotence=false \
    "${properties[@]}" 2>&1 | grep -E 'records sent, .* 99\.9th\.$' | tail -1)" ||
    return 1
  [[ -n "$summary" ]] || return 1
  awk -v version="$kafka_version" -v size="$size" '{
    printf "mode=produce client=java-%s delivered=%d msgs_per_s=%.0f mb_per_s=%.2f p50_ms=%s p99_ms=%s\n",
      version, $1, $4, $4 * size / 1e6, $(NF - 11), $(NF - 5)
  }' <<<"$summary"
}
