#!/bin/sh
# The system packages beyond the Python ones:
#   sh devtools/system_deps.sh         what the test suite needs: Chromium and its WebDriver for
#                                      the browser tier (tests/e2e), and ClamAV's daemon and
#                                      sigtool for the malware scanning tests
#                                      (tests/fixtures/clamav.py starts its own clamd; no system
#                                      service is started or needed); run by `make test`
#   sh devtools/system_deps.sh bench   what only the benchmarks need: the Pango libraries that
#                                      WeasyPrint loads (bench.questionnaire_pdf); `make bench`
# Silent and without any apt call when all is present, so that it costs nothing on a machine
# that has them.
#
# As root it installs what is missing from Debian's packages; otherwise it says what to install
# and exits 1.
set -eu

purpose=${1:-test}
missing=""
case "$purpose" in
    test)
        # command (path that must exist) -> Debian package providing it
        for entry in /usr/bin/chromium:chromium /usr/bin/chromedriver:chromium-driver \
                /usr/sbin/clamd:clamav-daemon /usr/bin/sigtool:clamav; do
            path=${entry%%:*}
            package=${entry#*:}
            if [ ! -x "$path" ]; then
                missing="$missing $package"
            fi
        done
        what="The tests"
        ;;
    bench)
        # shared library (as ldconfig knows it) -> Debian package providing it
        for entry in libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0; do
            library=${entry%%:*}
            package=${entry#*:}
            if ! ldconfig -p | grep -q "$library"; then
                missing="$missing $package"
            fi
        done
        what="The benchmarks (WeasyPrint)"
        ;;
    *)
        echo "usage: sh devtools/system_deps.sh [test|bench]" >&2
        exit 2
        ;;
esac

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "$what need these Debian packages:$missing" >&2
    echo "Install them as root:  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi

echo "Installing$missing for: $what" >&2
export DEBIAN_FRONTEND=noninteractive
# Packages like clamav-daemon start their service on install; the tests start their own
# throwaway processes, so no service is started (Debian's policy-rc.d: 101 = not allowed).
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086  # the package list is meant to split into words
apt-get install -y -qq --no-install-recommends $missing >/dev/null
