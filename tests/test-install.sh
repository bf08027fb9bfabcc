#!/bin/sh
# make install puts the plugin where nbdkit finds it by name, nbdscrub in
# PREFIX/bin and the man page beside the others; what is installed runs.
. "$(dirname "$0")/functions.sh"

requires make --version
plugindir=$(pkg-config --variable=plugindir nbdkit)
[ -n "$plugindir" ] || skip "pkg-config does not know nbdkit's plugindir"

root=$tmp/root
make -s -C "$top" install DESTDIR="$root" PREFIX=/usr/local >/dev/null

so=$root$plugindir/nbdkit-scrub-plugin.so
[ -x "$so" ] || fail "the plugin is not installed in $plugindir"
[ -f "$root/usr/local/share/man/man1/nbdkit-scrub-plugin.1" ] ||
    fail "the man page is not installed"
man -l "$root/usr/local/share/man/man1/nbdkit-scrub-plugin.1" 2>/dev/null |
    grep -q 'errortag' || fail "the installed man page does not render"

[ -x "$root/usr/local/bin/nbdscrub" ] || fail "nbdscrub is not installed"
"$root/usr/local/bin/nbdscrub" --version | grep -q '^nbdscrub ' ||
    fail "the installed nbdscrub does not run"

nbdkit "$so" --dump-plugin >"$tmp/dump"
grep -qx 'name=scrub' "$tmp/dump" || fail "installed plugin is not 'scrub'"

# nbdkit finds a plugin by its short name in plugindir: "nbdkit scrub".
# Check that the installed file name is the one that lookup uses.
[ "$(basename "$so")" = "nbdkit-scrub-plugin.so" ] || fail "wrong file name"

make -s -C "$top" uninstall DESTDIR="$root" PREFIX=/usr/local >/dev/null
[ ! -e "$so" ] || fail "uninstall left the plugin behind"
[ ! -e "$root/usr/local/bin/nbdscrub" ] || fail "uninstall left nbdscrub behind"
