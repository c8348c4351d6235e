# Shared by the bench scripts (source it): starts one freshet broker on a free
# loopback port with a fresh log dir and stops it (and removes the dir) on exit.
#
# build_freshet_unless_given ROOT BUILD_DIR
#   sets FRESHET_BIN to the Release build in BUILD_DIR (built now) unless it is set already.
# start_broker BINARY LOG_FILE SMP [--set k=v ...]
#   sets: port, brokers ("127.0.0.1:PORT"), broker_pid, data_dir, ready_ms
#   (milliseconds from exec until the port accepts connections).

now_ms() { date +%s%3N; }

build_freshet_unless_given() {
  local root="$1" build="$2"
  if [[ -z "${FRESHET_BIN:-}" ]]; then
    echo "== building freshet (Release) in $build"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFRESHET_BUILD_BENCH=ON >/dev/null
    ninja -C "$build" -j2 freshet >/dev/null
    FRESHET_BIN="$build/freshet"
  fi
  mkdir -p "$build"
}

broker_pid=""
data_dir=""

stop_broker() {
  if [[ -n "$broker_pid" ]] && kill -0 "$broker_pid" 2>/dev/null; then
    kill "$broker_pid"
    wait "$broker_pid" 2>/dev/null || true
  fi
  if [[ -n "$data_dir" ]]; then rm -rf "$data_dir"; fi
}
trap stop_broker EXIT

start_broker() {
  local binary="$1" log_file="$2" smp="$3"
  shift 3
  port="$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  brokers="127.0.0.1:$port"
  data_dir="$(mktemp -d /tmp/freshet-bench.XXXXXX)"
  echo "== starting $binary on $brokers (--smp $smp), log: $log_file"
  local start_ms
  start_ms="$(now_ms)"
  "$binary" server --set "listeners=PLAINTEXT://$brokers" --set "log.dirs=$data_dir" --smp "$smp" "$@" \
    >"$log_file" 2>&1 &
  broker_pid=$!
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 "$broker_pid" 2>/dev/null || { echo "broker exited during start-up:"; cat "$log_file"; exit 1; }
    sleep 0.002
  done
  ready_ms=$(( $(now_ms) - start_ms ))
}
