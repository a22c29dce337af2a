#!/usr/bin/env bash
# Installs what siperb needs on Debian 12: build tools, system libraries and the real peers
# the tests talk to. Idempotent: it installs only what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config python3-venv python3-dev
  libopus-dev portaudio19-dev libsrtp2-dev libspeexdsp-dev
  clang libclang-rt-14-dev
  kamailio kamailio-websocket-modules kamailio-tls-modules
  baresip sip-tester pulseaudio libasound2-plugins sox openssl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "bootstrap: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts kamailio as a system service on install; the tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet kamailio 2>/dev/null; then
  $SUDO systemctl stop kamailio || true
fi
