#!/usr/bin/env bash
# What only the test suite needs, on top of scripts/setup.sh (sourced after it by ./test.sh; ./agentbox does not
# install these, so the quickstart stays small).
# code contexts return matplotlib figures as PNG: the tests of rich results need matplotlib in the image
if ! /usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1; then say "installing python3-matplotlib (for tests)"; apt_install python3-matplotlib; fi
# tests build a second image (as upstream's busybox init containers use) from the static busybox
if [ ! -x /bin/busybox ]; then say "installing busybox-static (for tests)"; apt_install busybox-static; fi
# image pull tests run their own registry (the CNCF distribution) on loopback; the package's system service is not used
if [ ! -x /usr/bin/docker-registry ]; then
  say "installing docker-registry (for tests)"; apt_install docker-registry
  if command -v systemctl >/dev/null 2>&1; then as_root systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
fi

# kubectl: the kubectl tests use the real binary and are skipped, saying so, when it is missing (Debian 12's
# kubernetes-client is 1.20, too old for kubectl wait --for=jsonpath and aggregated discovery)
if ! command -v kubectl >/dev/null 2>&1; then say "kubectl not found: the kubectl tests will be skipped"; fi
