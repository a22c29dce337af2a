#!/usr/bin/env bash
# Installs what siperb needs on Debian 12. Idempotent: it installs only what is missing.
#   bootstrap.sh demo   what `make demo` needs: build tools and the libraries the extension uses
#   bootstrap.sh [all]  that and the test world: the real peers the tests talk to, the fuzzers'
#                       compiler, the test hosts' network tools (`make test`)
set -euo pipefail

# `make demo`: build tools and the libraries the extension links or loads.
demo_packages=(
  build-essential cmake ninja-build pkg-config python3-venv python3-dev
  libopus-dev portaudio19-dev libsrtp2-dev libspeexdsp-dev
  libssl-dev  # OpenSSL: libcrypto.a under libsrtp2 in the wheel (make wheel); DTLS/STUN (#14)
)

# `make test` adds these (a package the extension itself needs belongs in demo_packages).
packages=(
  clang libclang-rt-14-dev
  flite  # benchmarks/bench_jitter_replay.py: synthesises the English speech PESQ is scored on
  kamailio kamailio-websocket-modules kamailio-tls-modules
  baresip sip-tester pulseaudio pulseaudio-utils libasound2-plugins sox openssl
  dnsmasq-base iproute2 nftables conntrack rtpengine-daemon
  chromium  # tests/browser: the PhoneFrame UI in a real browser, driven by Playwright
  libnss3-tools  # certutil: the remote-frame test trusts its test CA in Chromium's NSS db
  xvfb  # tests/browser: `siperb ui` opens a real Chromium app window on a virtual display
  fonts-ipafont-gothic  # tests/browser: Japanese glyphs in the UI screenshots (else tofu boxes)
  postgresql  # fleets: the PostgreSQL call-history tests start a private cluster (initdb)
  coturn  # STUN/TURN server the ICE/TURN integration tests start on loopback
)

# Debian starts kamailio as a system service on install; the tests start their own on free
# ports, and a distribution instance on 5060/5061 would confuse manual runs with defaults.
stop_distro_kamailio() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet kamailio 2>/dev/null; then
    $sudo systemctl stop kamailio || true
    $sudo systemctl disable kamailio >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/kamailio ] && [ -s /run/kamailio/kamailio.pid ] \
    && kill -0 "$(cat /run/kamailio/kamailio.pid)" 2>/dev/null; then
    $sudo /etc/init.d/kamailio stop >/dev/null 2>&1 || true
  fi
  # Likewise rtpengine-daemon: the tests start their own (userspace, in a namespace).
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet rtpengine-daemon 2>/dev/null; then
    $sudo systemctl stop rtpengine-daemon || true
    $sudo systemctl disable rtpengine-daemon >/dev/null 2>&1 || true
  fi
}

case "${1:-all}" in
  demo) packages=("${demo_packages[@]}") ;;
  all) packages=("${demo_packages[@]}" "${packages[@]}") ;;
  *) echo "usage: bootstrap.sh [demo|all]" >&2; exit 2 ;;
esac
if [ -n "${SIPERB_BOOTSTRAP_LIST:-}" ]; then  # print the list only (tests, dry runs)
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  stop_distro_kamailio
  exit 0
fi
echo "bootstrap: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
stop_distro_kamailio
