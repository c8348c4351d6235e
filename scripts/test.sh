#!/usr/bin/env bash
# The project's test command (the README's second command): installs the Debian packages,
# builds Release with unit tests into build/, then runs every suite:
#   1. unit tests (ctest / GoogleTest)
#   2. integration tests (pytest) with the newest confluent-kafka (a venv from
#      scripts/install-test-clients.sh), kafka-python, kcat, and the Java client, kafkajs and
#      confluent-kafka producer drivers
#   3. the integration tests marked `librdkafka` again, under Debian's confluent-kafka 1.7
#   4. integration tests with kafkajs (node's test runner)
#   5. unit tests and fuzz targets again, built with AddressSanitizer and
#      UndefinedBehaviorSanitizer into build-sanitize/ (FRESHET_SANITIZE=0 skips it)
# Every suite runs even if an earlier one failed; the exit status is non-zero if any failed
# or ran no test at all.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FRESHET_BUILD_DIR:-$repo/build}"
cd "$repo"

bash scripts/install-deps.sh

cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFRESHET_BUILD_TESTS=ON
ninja -C "$build" -j"$(nproc)"

export FRESHET_BIN="${FRESHET_BIN:-$build/freshet}"
failed=()

run_suite() {  # run_suite NAME COMMAND...: runs a suite, records it if it fails
  local name="$1"; shift
  echo "==== $name: $*"
  local status=0
  "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    # pytest exits 5 and ctest (--no-tests=error) 8 when they ran no test: that is a failure.
    echo "==== $name FAILED (exit status $status)"
    failed+=("$name")
  fi
}

run_suite "unit tests" ctest --test-dir "$build" --output-on-failure --no-tests=error -j"$(nproc)"

# The clients beyond Debian's packages: newest confluent-kafka, kafkajs, the Java client.
if ! bash scripts/install-test-clients.sh; then
  echo "==== test clients install FAILED"
  failed+=("test clients install")
fi
newest_python="$repo/tests/integration/.venv/bin/python"
[ -x "$newest_python" ] || newest_python=/usr/bin/python3  # still runs what it can

run_suite "integration tests (newest confluent-kafka, kafka-python, kcat, Java client, kafkajs)" \
  "$newest_python" -m pytest tests/integration -q -p no:cacheprovider
run_suite "integration tests marked librdkafka (Debian's confluent-kafka 1.7)" \
  /usr/bin/python3 -m pytest tests/integration -q -p no:cacheprovider -m librdkafka

kafkajs_tests() (
  cd "$repo/tests/integration/js" && node --test ./*.test.js
)
run_suite "integration tests (kafkajs)" kafkajs_tests

# -O1 and line tables only: a build about as fast as Release, reports with file:line.
# Asio's recycling allocator pairs aligned_alloc with operator delete, which ASan reports
# as a mismatch; without std::aligned_alloc it allocates with operator new throughout.
sanitize_build="${FRESHET_SANITIZE_BUILD_DIR:-$repo/build-sanitize}"
sanitize_flags="-O1 -g1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
sanitize_flags+=" -DASIO_DISABLE_STD_ALIGNED_ALLOC"
build_sanitized() {
  cmake -S "$repo" -B "$sanitize_build" -G Ninja -DCMAKE_BUILD_TYPE=Sanitize -DFRESHET_BUILD_TESTS=ON \
    -DFRESHET_FUZZ_RUNS=5000 -DFRESHET_SIM_SEEDS=2000 -DCMAKE_CXX_FLAGS="$sanitize_flags" >/dev/null &&
    ninja -C "$sanitize_build" -j"$(nproc)"
}
sanitized_tests() {
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$sanitize_build" --output-on-failure --no-tests=error -j"$(nproc)"
}
if [ "${FRESHET_SANITIZE:-1}" != 0 ]; then
  if build_sanitized; then
    run_suite "unit tests and fuzz targets under ASan+UBSan" sanitized_tests
  else
    echo "==== sanitizer build FAILED"
    failed+=("sanitizer build")
  fi
fi

if [ ${#failed[@]} -gt 0 ]; then
  printf '==== failed suites: %s\n' "${failed[@]}"
  exit 1
fi
echo "==== all suites passed"
