#!/bin/sh
# install_check.sh VERSION - `make install-check` (run by `make check`):
# install into a temporary DESTDIR with PREFIX=/usr, use what landed there
# the way a user and a runtime would, and check that `make uninstall`
# takes all of it away. MAKE, BUILD and SANITIZE come from the calling
# make through MAKEFLAGS.
set -eu
VERSION=$1
MAKE=${MAKE:-make}
tmp=$(mktemp -d /tmp/ochost-install-check-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
home=$tmp/home
mkdir -p "$home"
fail() { echo "install-check: FAIL: $*" >&2; exit 1; }
plugdir=$root/usr/lib/onecount/hubspot/$VERSION

$MAKE --no-print-directory install PREFIX=/usr DESTDIR="$root" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "make install PREFIX=/usr DESTDIR=... failed"; }

for f in usr/bin/ochost usr/include/onecount/connector.h usr/include/onecount/loader.h \
         usr/lib/liboc_loader.a usr/lib/pkgconfig/onecount-connector.pc usr/lib/ochost/libocfixtures.so \
         "usr/lib/onecount/hubspot/$VERSION/libonecount_hubspot.so" \
         "usr/lib/onecount/hubspot/$VERSION/plugin.manifest" \
         "usr/lib/onecount/hubspot/$VERSION/fixtures/hubspot/demo/signups.csv" \
         usr/share/man/man1/ochost.1 usr/share/man/man7/onecount-connector.7 \
         usr/share/bash-completion/completions/ochost; do
    [ -f "$root/$f" ] || fail "make install did not install /$f"
done

# The installed ochost, run from / with a clean environment: it must find
# its own plugin and demo cassettes, and keep its state out of /.
run() {
    (cd / && env -u OCHOST_MANIFEST -u XDG_STATE_HOME -u HUBSPOT_ACCESS_TOKEN HOME="$home" \
        "$root/usr/bin/ochost" "$@")
}
run info >"$tmp/info" 2>&1 || { cat "$tmp/info" >&2; fail "installed 'ochost info' from / failed"; }
grep -q "^manifest: *$plugdir/plugin.manifest$" "$tmp/info" ||
    { cat "$tmp/info" >&2; fail "'ochost info' did not use the installed manifest $plugdir/plugin.manifest"; }
run --version >"$tmp/version" 2>&1 || fail "installed 'ochost --version' failed"
grep -q "^ochost $VERSION$" "$tmp/version" && grep -q "^plugin: hubspot $VERSION, ABI 1\." "$tmp/version" &&
    grep -q "^libcurl [0-9]" "$tmp/version" ||
    { cat "$tmp/version" >&2; fail "'ochost --version' lacks ochost's, the plugin's or libcurl's version"; }
run demo >"$tmp/demo" 2>&1 || { cat "$tmp/demo" >&2; fail "installed 'ochost demo' from / failed"; }
grep -q "all steps done" "$tmp/demo" || fail "installed demo did not finish"
# authorize with no token: a clear exit 2, and the default state folder
# made in $HOME (mode 0700), not in the current directory.
if run authorize >"$tmp/auth" 2>&1; then fail "authorize without a token succeeded"; else rc=$?; fi
[ "$rc" = 2 ] && grep -q "HUBSPOT_ACCESS_TOKEN" "$tmp/auth" ||
    { cat "$tmp/auth" >&2; fail "authorize without a token: exit $rc, expected 2 naming HUBSPOT_ACCESS_TOKEN"; }
[ "$(stat -c %a "$home/.local/state/ochost")" = 700 ] ||
    fail "the default state folder $home/.local/state/ochost is missing or not mode 0700"

# A runtime builds from the installed pkg-config file alone.
cat >"$tmp/host.c" <<'C'
#include <stdio.h>
#include <onecount/loader.h>
int main(int argc, char **argv)
{
    struct oc_error err = {sizeof err};
    struct oc_manifest *m;
    struct oc_plugin *p;
    if(argc < 2 || oc_manifest_load(argv[1], &m, &err) || oc_plugin_load(m, &p, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 8;
    }
    printf("%s %s %s\n", p->connector.name, p->connector.version, oc_status_name(OC_OK));
    oc_plugin_free(p);
    return 0;
}
C
flags=$(env -u PKG_CONFIG_LIBDIR PKG_CONFIG_PATH="$root/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root" \
        pkg-config --cflags --libs onecount-connector) || fail "pkg-config does not know onecount-connector"
case " $flags " in *" -ldl "*) ;; *) fail "pkg-config --libs lacks -ldl: $flags" ;; esac
(cd "$tmp" && ${CC:-cc} ${HOST_CFLAGS:-} -o host host.c $flags) >"$tmp/cc.log" 2>&1 ||
    { cat "$tmp/cc.log" >&2; fail "a host program does not build with: cc host.c $flags"; }
"$tmp/host" "$plugdir/plugin.manifest" >"$tmp/host.out" 2>&1 &&
    grep -q "^hubspot $VERSION OC_OK$" "$tmp/host.out" ||
    { cat "$tmp/host.out" >&2; fail "the host program built from pkg-config did not load the plugin"; }

# Both man pages render without warnings.
if command -v groff >/dev/null 2>&1; then
    for page in man1/ochost.1 man7/onecount-connector.7; do
        groff -man -Tutf8 -ww "$root/usr/share/man/$page" >/dev/null 2>"$tmp/groff.log" &&
            [ ! -s "$tmp/groff.log" ] || { cat "$tmp/groff.log" >&2; fail "$page has roff warnings"; }
    done
    if command -v man >/dev/null 2>&1; then
        MANWIDTH=80 man -l "$root/usr/share/man/man1/ochost.1" 2>/dev/null | grep -q "EXIT STATUS" ||
            fail "man -l does not render ochost.1"
    fi
else
    echo "install-check: groff not installed: man page rendering not checked (apt-get install groff-base)"
fi

# Another version installed beside this one survives this one's uninstall.
mkdir -p "$root/usr/lib/onecount/hubspot/0.0.0-other"
touch "$root/usr/lib/onecount/hubspot/0.0.0-other/plugin.manifest"
$MAKE --no-print-directory uninstall PREFIX=/usr DESTDIR="$root" >"$tmp/uninstall.log" 2>&1 ||
    { cat "$tmp/uninstall.log" >&2; fail "make uninstall failed"; }
[ -f "$root/usr/lib/onecount/hubspot/0.0.0-other/plugin.manifest" ] ||
    fail "make uninstall removed another version's plugin folder"
left=$(cd "$root" && find . -type f | grep -v '^./usr/lib/onecount/hubspot/0.0.0-other/plugin.manifest$' || true)
[ -z "$left" ] || fail "make uninstall left files behind: $left"
rm -rf "$root/usr/lib/onecount/hubspot/0.0.0-other"
# Now with nothing else there, the staging tree must end empty.
$MAKE --no-print-directory install PREFIX=/usr DESTDIR="$root" >"$tmp/install.log" 2>&1 || fail "reinstall failed"
$MAKE --no-print-directory uninstall PREFIX=/usr DESTDIR="$root" >"$tmp/uninstall.log" 2>&1 || fail "uninstall failed"
left=$(find "$root" -mindepth 1)
[ -z "$left" ] || fail "make uninstall left behind: $left"
echo "install-check: ok (installed, ran from /, built a host with pkg-config, uninstalled cleanly)"
