#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks (runsc, gcc, maven, JDK check) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
echo "[agentbox test] JAVA_HOME=$JAVA_HOME, $(runsc --version 2>&1 | head -1)"
mvn -B -ntp verify "$@"
