#!/usr/bin/env bash
# Installs what agentbox needs on a Debian 12 host and exports JAVA_HOME. Sourced by ./test.sh and ./agentbox.
# Idempotent: each step is skipped when its tool is already there.
set -euo pipefail

say() { printf '[agentbox setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else say "need root for: $*"; return 1; fi; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# gVisor's runsc from Debian bookworm-backports
if ! command -v runsc >/dev/null 2>&1; then
  say "installing gVisor (runsc) from bookworm-backports"
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' | as_root tee /etc/apt/sources.list.d/backports.list >/dev/null
    apt_updated=0
  fi
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq -t bookworm-backports runsc >/dev/null
fi

# gcc and a static libc build the in-sandbox init agent
if ! command -v gcc >/dev/null 2>&1 || [ ! -e /usr/lib/x86_64-linux-gnu/libc.a ]; then
  say "installing gcc and libc6-dev"; apt_install gcc libc6-dev
fi
# the built-in image agentbox/builtin is built from these installed Debian packages (and their dependencies; the list
# is BuiltinImage.DEFAULT_PACKAGES, docs/images.md): install the ones a minimal Debian lacks (python3, procps)
builtin_missing=()
for p in base-files bash coreutils dash grep sed mawk findutils procps util-linux hostname tar gzip python3; do
  dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || builtin_missing+=("$p")
done
if [ "${#builtin_missing[@]}" -gt 0 ]; then say "installing ${builtin_missing[*]} (for the built-in image)"; apt_install "${builtin_missing[@]}"; fi
# sandbox networks by egress policy (docs/networking.md): ip (iproute2), nft (nftables), nsenter (util-linux)
if ! command -v nft >/dev/null 2>&1 && [ ! -x /usr/sbin/nft ]; then say "installing nftables"; apt_install nftables; fi
if ! command -v ip >/dev/null 2>&1 && [ ! -x /usr/sbin/ip ] && [ ! -x /sbin/ip ]; then say "installing iproute2"; apt_install iproute2; fi
if ! command -v mvn >/dev/null 2>&1; then say "installing maven"; apt_install maven; fi

# a JDK >= 21: Temurin 25 when present, else whatever java is new enough
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -Eq 'version "(2[1-9]|[3-9][0-9])'; then
  JAVA_HOME=""
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64 /usr/lib/jvm/*; do
    if [ -x "$candidate/bin/javac" ] && "$candidate/bin/java" -version 2>&1 | grep -Eq 'version "(2[1-9]|[3-9][0-9])'; then JAVA_HOME="$candidate"; break; fi
  done
  if [ -z "$JAVA_HOME" ]; then
    say "no JDK >= 21 found; installing openjdk-21 from trixie is not automatic: install Temurin 21+ or set JAVA_HOME"
    exit 1
  fi
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
