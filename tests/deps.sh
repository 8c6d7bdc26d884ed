#!/bin/sh
# deps.sh: installs the Debian packages parley needs that are missing.
#   deps.sh          what building and running need
#   deps.sh test     and what the test suites need, and the browser
#                    tests' npm packages (npm ci in tests/browser)
#   deps.sh bench    and what the benchmark needs
# Uses sudo when not run as root; does nothing when all are there.
set -eu
build="gcc make pkg-config libfcgi-dev libmicrohttpd-dev libjansson-dev
libsqlite3-dev libsodium-dev"
test="$build libcmocka-dev nginx-light python3 python3-pytest python3-requests
curl sqlite3 jq chromium fonts-dejavu-core apache2 libapache2-mod-fcgid mandoc
systemd clang libclang-rt-14-dev valgrind zzuf"
bench="$test gnuplot-nox"
want=$build
[ "${1:-}" = test ] && want=$test
[ "${1:-}" = bench ] && want=$bench
here=$(cd "$(dirname "$0")" && pwd)

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
# Node.js and npm by command: a machine may have them from another source
# (whose nodejs package conflicts with Debian's npm).
if [ "$want" = "$test" ]; then
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi

if [ -n "$missing" ]; then
	echo "deps.sh: installing$missing"
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends $missing
fi

# The browser tests' packages (playwright-core, pinned by the lock file),
# when missing or older than the lock file.
if [ "$want" = "$test" ]; then
	b="$here/browser"
	if [ ! -f "$b/node_modules/.package-lock.json" ] ||
	    [ "$b/package-lock.json" -nt "$b/node_modules/.package-lock.json" ]; then
		echo "deps.sh: npm ci in tests/browser"
		(cd "$b" && npm ci --no-audit --no-fund --loglevel=error)
	fi
fi
