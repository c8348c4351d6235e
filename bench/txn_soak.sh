#!/usr/bin/env bash
# Transaction soak: the Jepsen-style checker (tests/integration/txn_checker.py) for many kill -9
# cycles, several seeds in a row, each against a broker of its own (FRESHET_BIN, else
# build/freshet), with the Java, librdkafka and kafkajs producers of the integration suite
# (scripts/install-test-clients.sh installs them). Not part of the test suite: a run takes
# minutes. Prints every seed; replay one with SEEDS=<seed>. Overrides: KILLS (per seed, 200),
# RUNS (seeds, 5), CLIENTS (confluent,java,kafkajs,confluent,java,kafkajs), SMP (2).
# Exit status 1 when a run found an anomaly or a producer could not go on.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$root/tests/integration/.venv/bin/python"
[ -x "$python" ] || { echo "run scripts/install-test-clients.sh first" >&2; exit 2; }
export FRESHET_BIN="${FRESHET_BIN:-$root/build/freshet}"

seeds=()
if [ -n "${SEEDS:-}" ]; then
  read -r -a seeds <<<"$SEEDS"
else
  for _ in $(seq "${RUNS:-5}"); do seeds+=("$(( (RANDOM << 16) | RANDOM ))"); done
fi

failed=0
for seed in "${seeds[@]}"; do
  "$python" "$root/tests/integration/txn_checker.py" --seed "$seed" --kills "${KILLS:-200}" \
    --clients "${CLIENTS:-confluent,java,kafkajs,confluent,java,kafkajs}" --smp "${SMP:-2}" ||
    failed=1
done
exit "$failed"
