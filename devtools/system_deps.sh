#!/bin/sh
# The system packages the test suite needs beyond the Python ones: Chromium and its WebDriver for
# the browser tier (tests/e2e). Run by `make test`; silent and without any apt call when all is
# present, so that it costs nothing on a machine that has them.
#
#   sh devtools/system_deps.sh
#
# As root it installs what is missing from Debian's packages; otherwise it says what to install
# and exits 1.
set -eu

# command (path that must exist) -> Debian package providing it
NEEDED="/usr/bin/chromium:chromium /usr/bin/chromedriver:chromium-driver"

missing=""
for entry in $NEEDED; do
    path=${entry%%:*}
    package=${entry#*:}
    if [ ! -x "$path" ]; then
        missing="$missing $package"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "The browser tests need these Debian packages:$missing" >&2
    echo "Install them as root:  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi

echo "Installing$missing for the browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086  # the package list is meant to split into words
apt-get install -y -qq --no-install-recommends $missing >/dev/null
