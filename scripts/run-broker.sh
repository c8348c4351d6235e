#!/usr/bin/env bash
# The README's first command: installs what the build needs, builds the `freshet` binary
# (Release, into build/), and runs a single-node broker with embedded defaults:
# 127.0.0.1:9092, data in ./freshet-data. Extra arguments go to `freshet server`
# (e.g. --set num.partitions=3, --config server.properties, --smp 2).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FRESHET_BUILD_DIR:-$repo/build}"

bash "$repo/scripts/install-deps.sh"
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" freshet
exec "$build/freshet" server "$@"
