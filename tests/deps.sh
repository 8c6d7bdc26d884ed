#!/bin/sh
# deps.sh: installs the Debian packages parley needs that are missing.
#   deps.sh          what building and running need
#   deps.sh test     and what the test suites need
# Uses sudo when not run as root; does nothing when all are there.
set -eu
build="gcc make pkg-config libfcgi-dev libmicrohttpd-dev libjansson-dev
libsqlite3-dev libsodium-dev"
test="$build libcmocka-dev nginx-light python3 python3-pytest python3-requests
curl sqlite3 jq clang libclang-rt-14-dev valgrind zzuf"
want=$build
[ "${1:-}" = test ] && want=$test

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing$missing"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $missing
