#!/usr/bin/env bash
# The Raft simulator (tests/sim/freshet_raft_sim) beyond CI's share: SEEDS (1000000) schedules
# of VOTERS (3) voters from FIRST_SEED (1), split over JOBS (all cores) processes. Builds the
# simulator (Release) into build-bench/ unless FRESHET_RAFT_SIM names one. Prints each chunk's
# line; a failing seed is printed with its replay command and fails the script.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seeds="${SEEDS:-1000000}"
voters="${VOTERS:-3}"
first="${FIRST_SEED:-1}"
jobs="${JOBS:-$(nproc)}"
sim="${FRESHET_RAFT_SIM:-}"
if [ -z "$sim" ]; then
  build="$root/build-bench"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFRESHET_BUILD_TESTS=ON >/dev/null
  ninja -C "$build" freshet_raft_sim >/dev/null
  sim="$build/tests/sim/freshet_raft_sim"
fi

chunk=$(( (seeds + jobs - 1) / jobs ))
pids=()
for ((j = 0; j < jobs; j++)); do
  start=$(( first + j * chunk ))
  count=$(( chunk < seeds - j * chunk ? chunk : seeds - j * chunk ))
  [ "$count" -gt 0 ] || break
  "$sim" --nodes "$voters" --first-seed "$start" --seeds "$count" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[ "$status" -eq 0 ] && echo "raft sim: all $seeds schedules of $voters voters passed" || echo "raft sim: FAILED"
exit "$status"
