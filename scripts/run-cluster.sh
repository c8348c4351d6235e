#!/usr/bin/env bash
# A KRaft cluster of N nodes (default 3) on this machine's loopback, each node
# process.roles=broker,controller, as Kafka's KRaft quick start sets them up; or, with B > 0,
# N process.roles=controller nodes and B process.roles=broker nodes (ids N+1..N+B):
#   scripts/run-cluster.sh start [N] [DIR] [B]   builds freshet, writes DIR/node<i>/server.properties,
#                                                formats every node's log dir with one cluster id
#                                                (freshet storage format), starts the nodes in the
#                                                background and waits until all serve
#   scripts/run-cluster.sh stop [DIR]            stops the nodes it started (by pid, SIGTERM)
# DIR defaults to ./freshet-cluster. Node i listens for clients on 127.0.0.1:(19090+2i) and for
# the quorum on 127.0.0.1:(19091+2i) (each only as its roles need); its log is
# DIR/node<i>/freshet.log. A second start reuses DIR's config and data (restart after stop).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FRESHET_BUILD_DIR:-$repo/build}"
freshet="$build/freshet"
command="${1:-start}"

client_port() { echo $((19090 + 2 * $1)); }
quorum_port() { echo $((19091 + 2 * $1)); }

# The server.properties of node $1 of a cluster whose voters are $2, with roles $3, in $4.
node_properties() {
  local i="$1" voters="$2" roles="$3" dir="$4" listeners
  case "$roles" in
    controller) listeners="CONTROLLER://127.0.0.1:$(quorum_port "$i")" ;;
    broker) listeners="PLAINTEXT://127.0.0.1:$(client_port "$i")" ;;
    *) listeners="PLAINTEXT://127.0.0.1:$(client_port "$i"),CONTROLLER://127.0.0.1:$(quorum_port "$i")" ;;
  esac
  cat <<PROPERTIES
process.roles=$roles
node.id=$i
controller.quorum.voters=$voters
listeners=$listeners
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/node$i/data
PROPERTIES
}

# The port that accepts once node $1 (of roles $2) is ready.
ready_port() {
  if [ "$2" = controller ]; then quorum_port "$1"; else client_port "$1"; fi
}

start() {
  local nodes="${1:-3}" dir="${2:-freshet-cluster}" brokers="${3:-0}"
  if [ ! -x "$freshet" ]; then
    bash "$repo/scripts/install-deps.sh"
    cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    ninja -C "$build" freshet
  fi
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  local voters="" i
  for i in $(seq 1 "$nodes"); do voters+="${voters:+,}$i@127.0.0.1:$(quorum_port "$i")"; done
  local total=$((nodes + brokers))
  roles_of() {
    if [ "$brokers" -eq 0 ]; then echo broker,controller; elif [ "$1" -le "$nodes" ]; then echo controller; else echo broker; fi
  }
  if [ ! -f "$dir/cluster.id" ]; then
    "$freshet" storage random-uuid > "$dir/cluster.id"
    for i in $(seq 1 "$total"); do
      mkdir -p "$dir/node$i"
      node_properties "$i" "$voters" "$(roles_of "$i")" "$dir" > "$dir/node$i/server.properties"
      "$freshet" storage format --cluster-id "$(cat "$dir/cluster.id")" --config "$dir/node$i/server.properties"
    done
  fi
  for i in $(seq 1 "$total"); do
    "$freshet" server --config "$dir/node$i/server.properties" >> "$dir/node$i/freshet.log" 2>&1 &
    echo $! > "$dir/node$i/pid"
  done
  # A broker accepts clients once the quorum has a leader and it has caught up and registered.
  local bootstrap="" deadline=$((SECONDS + 60))
  for i in $(seq 1 "$total"); do
    until (exec 3<>"/dev/tcp/127.0.0.1/$(ready_port "$i" "$(roles_of "$i")")") 2>/dev/null; do
      kill -0 "$(cat "$dir/node$i/pid")" 2>/dev/null || { echo "node $i exited: see $dir/node$i/freshet.log" >&2; exit 1; }
      [ "$SECONDS" -lt "$deadline" ] || { echo "node $i not serving after 60 s: see $dir/node$i/freshet.log" >&2; exit 1; }
      sleep 0.1
    done
    [ "$(roles_of "$i")" = controller ] || bootstrap+="${bootstrap:+,}127.0.0.1:$(client_port "$i")"
  done
  echo "cluster $(cat "$dir/cluster.id") of $total nodes serving; bootstrap servers: $bootstrap"
  echo "  $freshet cluster quorum -b $bootstrap"
}

stop() {
  local dir="${1:-freshet-cluster}" pidfile
  for pidfile in "$dir"/node*/pid; do
    [ -f "$pidfile" ] || continue
    local pid; pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$pidfile"
  done
}

case "$command" in
  start) shift || true; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start [NODES] [DIR] [BROKERS] | stop [DIR]" >&2; exit 2 ;;
esac
