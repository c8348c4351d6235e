#!/usr/bin/env bash
# Installs the pinned Kafka clients the integration tests drive, each where the tests look:
#   tests/integration/.venv/        confluent-kafka (newest librdkafka) from PyPI, pinned by
#                                   tests/integration/requirements.txt, in a venv over Debian's
#                                   python3 (--system-site-packages: pytest, kafka-python and the
#                                   codecs stay Debian's)
#   tests/integration/js/node_modules/  kafkajs, pinned by package-lock.json
#   tests/integration/java/target/freshet-java-client.jar  the Java client driver (Maven,
#                                   versions pinned in its pom.xml, artifacts cached in ~/.m2)
#   tests/integration/kafka-tools/target/classpath.txt  the class path of Apache Kafka's
#                                   command-line tools (kafka-tools, pinned in its pom.xml):
#                                   kafka-transactions.sh's TransactionsCommand
# Needs the Debian packages of scripts/install-deps.sh (python3-venv, nodejs/npm, maven and a
# JDK). Idempotent; once the caches hold everything a re-run asks no registry for anything.
set -euo pipefail

integration="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/integration" && pwd)"

install_confluent_kafka() {
  local venv="$integration/.venv"
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
  # A requirement already satisfied at its pinned version costs pip no download.
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$integration/requirements.txt"
}

install_kafkajs() (
  cd "$integration/js" && npm ci --no-audit --no-fund --loglevel=error
)

maven_package() (  # maven_package DIR: `mvn package` in DIR
  cd "$1"
  local maven=(mvn -B -q --no-transfer-progress -Dstyle.color=never package)
  # Offline first: with a warm ~/.m2 nothing needs the network; a cold one fetches.
  "${maven[@]}" -o >/dev/null 2>&1 || "${maven[@]}"
)

install_confluent_kafka
install_kafkajs
maven_package "$integration/java"
maven_package "$integration/kafka-tools"
