#!/usr/bin/env bash
# Builds libopus, libspeexdsp and libsrtp2 as static, position-independent libraries for the
# wheel (CMake option SIPERB_STATIC_DEPS), from the Debian source packages that `apt-get
# source` fetches at build time: no third-party source is kept in this repository.
#
# Usage: scripts/build_static_deps.sh PREFIX
# Idempotent: a library already in PREFIX/lib is not rebuilt. The Debian archive is asked
# through a private apt configuration (the system's archives as deb-src entries, under
# PREFIX/apt), so the system's apt sources are not changed. On a host without apt (a manylinux
# container, macOS) put the upstream tarballs (opus-*.tar.gz, speexdsp-*.tar.gz, libsrtp2*.tar.gz) in
# $SIPERB_DEPS_SOURCES instead.
set -euo pipefail

prefix=$(realpath -m "${1:?usage: build_static_deps.sh PREFIX}")
jobs=${SIPERB_DEPS_JOBS:-2}
src=${SIPERB_DEPS_SOURCES:-$prefix/src}
mkdir -p "$prefix/lib" "$src" "$prefix/build"

fetch_sources() {
  if ls "$src"/opus_*.orig.tar.* "$src"/speexdsp_*.orig.tar.* "$src"/libsrtp2_*.orig.tar.* \
    >/dev/null 2>&1; then
    return
  fi
  command -v apt-get >/dev/null || {
    echo "build_static_deps: no apt-get; put the source tarballs in \$SIPERB_DEPS_SOURCES" >&2
    exit 1
  }
  local apt="$prefix/apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
  # The system's own archives, as deb-src entries (one-line and deb822 formats).
  mkdir -p "$apt/sources.list.d"
  sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list 2>/dev/null >"$apt/sources.list" || true
  for f in /etc/apt/sources.list.d/*.sources; do
    if [ -f "$f" ]; then sed 's/^Types: .*/Types: deb-src/' "$f" >"$apt/sources.list.d/${f##*/}"; fi
  done
  for f in /etc/apt/sources.list.d/*.list; do
    if [ -f "$f" ]; then sed -n 's/^deb \(.*\)/deb-src \1/p' "$f" >"$apt/sources.list.d/${f##*/}"; fi
  done
  local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/sources.list.d"
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1
    -o APT::Sandbox::User=root)
  apt-get -qq "${opts[@]}" update
  (cd "$src" && apt-get -qq "${opts[@]}" source --download-only opus speexdsp libsrtp2)
}

# unpack NAME: the upstream tarball into build/NAME, echo the directory
unpack() {
  local name=$1 tarball
  tarball=$(ls "$src"/"$name"_*.orig.tar.* 2>/dev/null | head -n1)
  [ -n "$tarball" ] || tarball=$(ls "$src"/"$name"*.tar.* | head -n1)
  rm -rf "$prefix/build/$name" && mkdir -p "$prefix/build/$name"
  tar -xf "$tarball" -C "$prefix/build/$name" --strip-components=1
  echo "$prefix/build/$name"
}

export CFLAGS="${CFLAGS:-} -O2 -fPIC -fvisibility=hidden"

fetch_sources
if [ "${SIPERB_DEPS_FETCH_ONLY:-0}" = 1 ]; then  # a host with apt fetches for a container
  exit 0
fi

if [ ! -f "$prefix/lib/libopus.a" ]; then
  d=$(unpack opus)
  (cd "$d" && ./configure -q --prefix="$prefix" --disable-shared --enable-static --with-pic \
    --disable-doc --disable-extra-programs && make -s -j"$jobs" && make -s install)
fi
if [ ! -f "$prefix/lib/libspeexdsp.a" ]; then
  d=$(unpack speexdsp)
  (cd "$d" && ./configure -q --prefix="$prefix" --disable-shared --enable-static --with-pic \
    --disable-examples && make -s -j"$jobs" && make -s install)
fi
if [ ! -f "$prefix/lib/libsrtp2.a" ]; then
  d=$(unpack libsrtp2)
  # Its crypto from OpenSSL's libcrypto (AES-ICM, HMAC-SHA1 and the AEAD_AES_*_GCM suites),
  # which CMake links statically too; not NSS, whose crypto module Debian's libsrtp2 loads at
  # run time. SIPERB_SRTP_OPENSSL=0: libsrtp2's own AES-ICM and HMAC-SHA1 (no GCM suites).
  crypto=()
  if [ "${SIPERB_SRTP_OPENSSL:-1}" = 1 ]; then crypto=(--enable-openssl); fi
  (cd "$d" && ./configure -q --prefix="$prefix" "${crypto[@]}" && make -s -j"$jobs" libsrtp2.a \
    && make -s install)
  # CMake links libcrypto.a only under an OpenSSL build of libsrtp2.
  if [ ${#crypto[@]} -gt 0 ]; then echo openssl; else echo builtin; fi >"$prefix/srtp2-crypto"
fi
# Only the static archives: the linker must not find a shared copy here.
rm -f "$prefix"/lib/*.so* "$prefix"/lib/*.la
ls -l "$prefix"/lib/*.a
