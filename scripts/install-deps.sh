#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking Freshet needs.
# Idempotent and non-interactive; safe to run on every CI start.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config python3
  libasio-dev libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev libxxhash-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  librdkafka-dev kcat python3-confluent-kafka python3-kafka python3-pytest
  python3-pytest-timeout python3-snappy python3-lz4 python3-zstandard
  libfuse3-dev fuse3
  python3-venv openjdk-17-jdk-headless maven
)

missing=()
# node/npm may come from a nodejs build that bundles npm; only add Debian's when absent.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
