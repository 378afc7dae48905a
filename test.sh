#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks (runsc, gcc, maven, JDK check) and runs the whole test suite.
# Fails if the suite leaves a runsc sandbox process behind.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
source scripts/setup-tests.sh
echo "[agentbox test] JAVA_HOME=$JAVA_HOME, $(runsc --version 2>&1 | head -1)"
runsc_procs() { pgrep -c -f 'runsc-sandbox|runsc-gofer|runsc .*--root' || true; }
before=$(runsc_procs)
mvn -B -ntp verify "$@"
sleep 2
after=$(runsc_procs)
if [ "$after" -gt "$before" ]; then
  echo "[agentbox test] FAIL: the suite left $((after - before)) runsc process(es) behind:" >&2
  pgrep -a -f 'runsc-sandbox|runsc-gofer|runsc .*--root' >&2 || true
  exit 1
fi
echo "[agentbox test] no runsc sandbox left behind"
