#!/usr/bin/env bash
# Installs, from Debian 12 packages, everything daneguard needs to build, test and run its demo.
# Idempotent and quiet when everything is there already. Must run as root.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config clang-format clang-tidy git
  # libraries
  libssl-dev openssl libldns-dev libunbound-dev libevent-dev libcurl4-openssl-dev
  nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libfmt-dev libsqlite3-dev
  libexpected-dev libgtest-dev libgmock-dev libbenchmark-dev
  # independent implementations used as test oracles, and the servers the tests start
  ldnsutils hash-slinger bind9 bind9-utils bind9-dnsutils iproute2 procps sqlite3 time
  knot knot-dnsutils unbound postfix swaks pebble certbot python3-certbot-dns-rfc2136 lego
  pdns-server pdns-backend-sqlite3 python3 curl ca-certificates strace
  # speeds up rebuilds in CI and development; harmless when unused
  ccache
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or install them)" >&2
  exit 1
fi
# Servers must never start from their package scripts (they would take port 53 and 25 on
# every address); policy-rc.d answering 101 forbids it.
if [ ! -x /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
fi
# Postfix asks which mail set-up to create; "No configuration" leaves /etc/postfix empty, since
# the tests run Postfix from their own config directories (postfix -c DIR).
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
