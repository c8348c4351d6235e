# shellcheck shell=bash
# Apache Kafka beside Freshet in the bench scripts (source it after lib.sh):
# one KRaft node (broker + controller) on free loopback ports with a fresh
# temporary directory, stopped (and the directory removed) on exit.
#
# Kafka is bench/kafka/pom.xml's kafka_2.13 (its version there) and its
# dependencies from Maven Central, run with `java` on their class path: the
# JVM options are kafka-server-start.sh's (1 GiB heap, G1). Configuration is
# Kafka's defaults plus what its own config/server.properties sets for one
# node (replication factor 1 for the internal topics, one partition per new
# topic): in particular no fsync on produce (log.flush.interval.messages is
# unbounded; Kafka relies on replication), where Freshet fsyncs for acks=all.
# Extra server properties: KAFKA_PROPERTIES="k=v k=v" (e.g.
# log.flush.interval.messages=1 to fsync every append).
#
# kafka_classpath BUILD_DIR: resolves Kafka with Maven (offline after the first
#   time) unless BUILD_DIR/kafka-classpath.txt is newer than the pom; sets
#   kafka_cp and kafka_version.
# start_kafka LOG_FILE: sets kafka_brokers ("127.0.0.1:PORT"), kafka_pid,
#   kafka_dir, kafka_ready_ms (from starting the JVM until the port accepts,
#   after a `StorageTool format` that is not counted).

kafka_pom="$(dirname "${BASH_SOURCE[0]}")/kafka/pom.xml"
kafka_log4j="$(cd "$(dirname "${BASH_SOURCE[0]}")/kafka" && pwd)/log4j2.properties"
kafka_jvm_options=(-Xmx1G -Xms1G -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20
  -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15
  -Djava.awt.headless=true "-Dlog4j2.configurationFile=$kafka_log4j")

kafka_classpath() {
  local file="$1/kafka-classpath.txt"
  if [[ ! -s "$file" || "$kafka_pom" -nt "$file" ]]; then
    echo "== resolving Apache Kafka with Maven ($kafka_pom)"
    mvn -B -q -f "$kafka_pom" dependency:build-classpath "-Dmdep.outputFile=$file" >"$1/kafka-maven.log" 2>&1 ||
      { cat "$1/kafka-maven.log"; exit 1; }
  fi
  kafka_cp="$(cat "$file")"
  kafka_version="$(sed -n 's|.*<kafka.version>\(.*\)</kafka.version>.*|\1|p' "$kafka_pom")"
}

kafka_pid=""
kafka_dir=""

stop_kafka() {
  if [[ -n "$kafka_pid" ]] && kill -0 "$kafka_pid" 2>/dev/null; then
    kill "$kafka_pid"
    wait "$kafka_pid" 2>/dev/null || true
  fi
  if [[ -n "$kafka_dir" ]]; then rm -rf "$kafka_dir"; fi
}
at_exit stop_kafka

start_kafka() {
  local log_file="$1" port controller_port property cluster_id start_ms
  port="$(free_port)"
  controller_port="$(free_port)"
  until [[ "$controller_port" != "$port" ]]; do controller_port="$(free_port)"; done
  kafka_brokers="127.0.0.1:$port"
  kafka_dir="$(mktemp -d /tmp/kafka-bench.XXXXXX)"
  {
    echo "process.roles=broker,controller"
    echo "node.id=1"
    echo "controller.quorum.voters=1@127.0.0.1:$controller_port"
    echo "listeners=PLAINTEXT://$kafka_brokers,CONTROLLER://127.0.0.1:$controller_port"
    echo "controller.listener.names=CONTROLLER"
    echo "log.dirs=$kafka_dir/data"
    echo "offsets.topic.replication.factor=1"
    echo "transaction.state.log.replication.factor=1"
    echo "transaction.state.log.min.isr=1"
    echo "share.coordinator.state.topic.replication.factor=1"
    echo "share.coordinator.state.topic.min.isr=1"
    for property in ${KAFKA_PROPERTIES:-}; do echo "$property"; done
  } >"$kafka_dir/server.properties"
  echo "== formatting and starting Apache Kafka $kafka_version on $kafka_brokers, log: $log_file"
  cluster_id="$(java -cp "$kafka_cp" kafka.tools.StorageTool random-uuid)"
  java "-Dlog4j2.configurationFile=$kafka_log4j" -cp "$kafka_cp" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$kafka_dir/server.properties" >"$log_file" 2>&1 ||
    { echo "kafka-storage format failed:"; cat "$log_file"; exit 1; }
  start_ms="$(now_ms)"
  java "${kafka_jvm_options[@]}" -cp "$kafka_cp" kafka.Kafka "$kafka_dir/server.properties" >>"$log_file" 2>&1 &
  kafka_pid=$!
  wait_for_port "$port" "$kafka_pid" "$log_file"
  kafka_ready_ms=$(( $(now_ms) - start_ms ))
}
