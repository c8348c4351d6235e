#!/usr/bin/env bash
# Long fuzzing: every fuzz target (tests/fuzz) for FUZZ_SECONDS (default 3600) each, with a
# fresh seed, built with AddressSanitizer + UndefinedBehaviorSanitizer in build-fuzz-asan/.
# A failing input is written to build-fuzz-asan/fuzz-crash-<target> and the script exits
# non-zero after the other targets ran; replay it with the target binary and that file.
#   bash bench/fuzz_campaign.sh                # one hour per target
#   FUZZ_SECONDS=60 bash bench/fuzz_campaign.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$repo/build-fuzz-asan"
seconds="${FUZZ_SECONDS:-3600}"

cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFRESHET_BUILD_TESTS=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" >/dev/null
targets=$(cd "$repo/tests/fuzz" && ls fuzz_*.cc | sed -e 's/\.cc$//' -e 's/^fuzz_/freshet_fuzz_/' | grep -v '^freshet_fuzz_driver$')
ninja -C "$build" -j"$(nproc)" $targets

failed=()
for target in $targets; do
  echo "==== $target for ${seconds} s"
  if ! "$build/tests/fuzz/$target" --mutate 9000000000000 --seed random --max-seconds "$seconds" \
       --artifact "$build/fuzz-crash-${target#freshet_fuzz_}"; then
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "==== failed: ${failed[*]}"
  exit 1
fi
echo "==== every target ran ${seconds} s without failure"
