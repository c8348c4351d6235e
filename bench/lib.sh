# shellcheck shell=bash
# Shared by the bench scripts (source it): starts one freshet broker on a free
# loopback port with a fresh log dir and stops it (and removes the dir) on exit.
#
# build_freshet_unless_given ROOT BUILD_DIR
#   sets FRESHET_BIN to the Release build in BUILD_DIR (built now) unless it is set already.
# start_broker BINARY LOG_FILE SMP [--set k=v ...]
#   sets: port, brokers ("127.0.0.1:PORT"), broker_pid, data_dir, ready_ms
#   (milliseconds from exec until the port accepts connections).
# at_exit COMMAND: runs COMMAND (no arguments) when the script exits, after those added before.
# free_port: prints a loopback TCP port that is free now.
# wait_for_port PORT PID LOG_FILE: returns once PORT accepts connections; exits 1
#   (printing LOG_FILE) if process PID dies first.
# warm_memory MB: writes and frees MB of memory in /dev/shm (see run_broker_bench.sh);
#   sets memory_note and memory_tag, and adds "warm-up" to the array `failed` if it fails.
# load_phase VAR TITLE ARGS...: runs "$freshet_load" ARGS $LOAD_ARGS after `sync` and stores
#   its result line in VAR (needs freshet_load, results_file, failed); when ARGS
#   begins with a shell function that prints as freshet_load does (java_produce),
#   runs ARGS instead (LOAD_ARGS are librdkafka's: not given to it).
# field LINE KEY: the value of KEY=value in a freshet_load result line.
# cpu_ticks PID: the process's user + system CPU time so far, in clock ticks (getconf CLK_TCK).

now_ms() { date +%s%3N; }

exit_hooks=()
at_exit() { exit_hooks+=("$1"); }
run_exit_hooks() {
  local hook
  for hook in "${exit_hooks[@]}"; do "$hook"; done
}
trap run_exit_hooks EXIT

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

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_port() {
  local port="$1" pid="$2" log_file="$3"
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "$pid exited during start-up:"; cat "$log_file"; exit 1; }
    sleep 0.002
  done
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
at_exit stop_broker

start_broker() {
  local binary="$1" log_file="$2" smp="$3"
  shift 3
  port="$(free_port)"
  brokers="127.0.0.1:$port"
  data_dir="$(mktemp -d /tmp/freshet-bench.XXXXXX)"
  echo "== starting $binary on $brokers (--smp $smp), log: $log_file"
  local start_ms
  start_ms="$(now_ms)"
  "$binary" server --set "listeners=PLAINTEXT://$brokers" --set "log.dirs=$data_dir" --smp "$smp" "$@" \
    >"$log_file" 2>&1 &
  broker_pid=$!
  wait_for_port "$port" "$broker_pid" "$log_file"
  ready_ms=$(( $(now_ms) - start_ms ))
}

memory_note="cold memory (WARM_MEMORY_MB=0): the figures include first touches of page-cache memory"
memory_tag=""  # appended to the phases whose figures are warm-memory best cases
warm_memory() {
  local mb="$1" warm_file
  (( mb > 0 )) || return 0
  echo "== warming ${mb} MB of memory"
  warm_file="$(mktemp /dev/shm/freshet-bench-warm.XXXXXX)"
  if dd if=/dev/zero of="$warm_file" bs=1M count="$mb" status=none; then
    memory_note="[warm] = WARM-MEMORY BEST CASE: ${mb} MB were touched and freed before the broker started, so the page cache these phases fill is memory the hypervisor already backs (WARM_MEMORY_MB=0 shows the cold case)"
    memory_tag=" [warm]"
  else
    failed+=("warm-up")
    memory_note="warm-up FAILED: figures are neither reliably warm nor cold"
  fi
  rm -f "$warm_file"
}

# Every phase starts with no dirty page cache: the previous phase's writes are
# flushed first, so that a phase is not measured against the kernel's
# background writeback of another (it starts past dirty_background_ratio, 10%
# of RAM: about 2.3 GB here, less than two phases write). A phase that exits
# non-zero or prints no result line is recorded in `failed`; the others still run.
load_phase() {
  local var="$1" title="$2" line status=0 load
  shift 2
  # shellcheck disable=SC2206 # LOAD_ARGS is a list of flags
  load=("$freshet_load" "$@" ${LOAD_ARGS:-})
  if declare -F "$1" >/dev/null; then load=("$@"); fi
  echo "== $title"
  sync
  line="$("${load[@]}" | tee -a "$results_file" | tail -1)" || status=$?
  echo "$line"
  if (( status != 0 )) || [[ "$line" != mode=* ]]; then
    failed+=("$title (exit $status)")
  fi
  printf -v "$var" '%s' "$line"
}

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
