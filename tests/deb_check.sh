#!/bin/sh
# deb_check.sh BUILD VERSION - `make deb-check`: build the Debian packages
# (make deb) and check what each one holds: together exactly the files
# `make install PREFIX=/usr` installs (man pages gzipped, plus Debian's
# own docs), each file in its package, ochost free of libmicrohttpd, and
# the packaged programs working from the unpacked files. lintian's verdict
# too when it is installed. Not part of `make check` (it takes a while).
# MAKE and the build's variables come from the calling make.
set -eu
BUILD=$1
VERSION=$2
MAKE=${MAKE:-make}
tmp=$(mktemp -d /tmp/ochost-deb-check-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "deb-check: FAIL: $*" >&2; exit 1; }
arch=$(dpkg --print-architecture)
debdir=$BUILD/deb
pkgs="onecount-hubspot ochost ochost-fixtures onecount-connector-dev"

$MAKE --no-print-directory deb >"$tmp/deb.log" 2>&1 || { tail -40 "$tmp/deb.log" >&2; fail "make deb failed (log above)"; }

# The layout the packages must reproduce, split by the package each file
# belongs in.
$MAKE --no-print-directory install PREFIX=/usr DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "make install PREFIX=/usr failed"; }
(cd "$tmp/root" && find . -type f | sed -e 's|^\./||' -e 's|^\(usr/share/man/.*\.[0-9]\)$|\1.gz|') | sort |
while read -r f; do
    case $f in
        usr/lib/onecount/hubspot/"$VERSION"/*) p=onecount-hubspot ;;
        usr/bin/ochost | usr/share/man/man1/ochost.1.gz | usr/share/bash-completion/completions/ochost) p=ochost ;;
        usr/lib/ochost/*) p=ochost-fixtures ;;
        usr/include/onecount/* | usr/lib/liboc_loader.a | usr/lib/pkgconfig/onecount-connector.pc | \
        usr/share/man/man7/onecount-connector.7.gz) p=onecount-connector-dev ;;
        *) echo "$f" >>"$tmp/unassigned"; continue ;;
    esac
    echo "$f" >>"$tmp/want.$p"
done
[ ! -s "$tmp/unassigned" ] || fail "make install puts files no package is meant to hold: $(cat "$tmp/unassigned")"

for p in $pkgs; do
    deb=$debdir/${p}_${VERSION}_$arch.deb
    [ -f "$deb" ] || fail "make deb did not produce $deb"
    # Regular files only (dpkg-deb -c: mode first, path last).
    dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' | sort >"$tmp/has.$p"
    grep -qx "usr/share/doc/$p/copyright" "$tmp/has.$p" || fail "$p has no usr/share/doc/$p/copyright"
    grep -v "^usr/share/doc/$p/" "$tmp/has.$p" >"$tmp/has-nodoc.$p" || true
    touch "$tmp/want.$p"
    if ! cmp -s "$tmp/want.$p" "$tmp/has-nodoc.$p"; then
        echo "deb-check: $p: - what make install puts there, + what the package holds:" >&2
        diff -u "$tmp/want.$p" "$tmp/has-nodoc.$p" | sed -n 's/^\([-+][^-+]\)/   \1/p' >&2
        fail "$p does not hold what make install PREFIX=/usr installs for it"
    fi
    echo "deb-check: $p: $(wc -l <"$tmp/want.$p") files as make install lays them out"
done

dep() { dpkg-deb -f "$debdir/${1}_${VERSION}_$arch.deb" Depends; }
case $(dep ochost) in *microhttpd*) fail "ochost depends on libmicrohttpd: $(dep ochost)" ;; esac
case $(dep ochost) in *"onecount-hubspot (= $VERSION)"*) ;; *) fail "ochost does not depend on its plugin version: $(dep ochost)" ;; esac
case $(dep ochost-fixtures) in *libmicrohttpd*) ;; *) fail "ochost-fixtures lacks libmicrohttpd: $(dep ochost-fixtures)" ;; esac

# The packaged programs, unpacked into one root (the binary finds the
# files installed beside it): everything but the replay runs without
# ochost-fixtures, and the replay names the package it needs.
x=$tmp/unpacked
for p in onecount-hubspot ochost; do dpkg-deb -x "$debdir/${p}_${VERSION}_$arch.deb" "$x"; done
run() { (cd / && env -u OCHOST_MANIFEST -u HUBSPOT_ACCESS_TOKEN HOME="$tmp" XDG_STATE_HOME="$tmp/state" "$x/usr/bin/ochost" "$@"); }
run info >"$tmp/info" 2>&1 || { cat "$tmp/info" >&2; fail "the packaged 'ochost info' failed"; }
if run demo >"$tmp/demo" 2>&1; then fail "the packaged demo ran without ochost-fixtures"; else rc=$?; fi
[ "$rc" = 2 ] && grep -q "install the ochost-fixtures package" "$tmp/demo" ||
    { cat "$tmp/demo" >&2; fail "demo without ochost-fixtures: exit $rc, expected 2 naming the package"; }
dpkg-deb -x "$debdir/ochost-fixtures_${VERSION}_$arch.deb" "$x"
run demo >"$tmp/demo" 2>&1 && grep -q "all steps done" "$tmp/demo" ||
    { cat "$tmp/demo" >&2; fail "the packaged demo failed with ochost-fixtures unpacked"; }
echo "deb-check: packaged ochost runs info without ochost-fixtures, demo with it"

if command -v lintian >/dev/null 2>&1; then
    lintian --fail-on error "$debdir"/*_"${VERSION}"_*.changes || fail "lintian reports errors"
else
    echo "deb-check: lintian not installed: not run (apt-get install lintian)"
fi
echo "deb-check: ok ($(ls "$debdir"/*.deb | wc -l) packages in $debdir)"
