#!/bin/sh
# layering.sh BUILD - fail when an include or a call crosses a layer the
# wrong way, or when the files of one folder depend on each other in a
# circle. `make layering` runs it (and `make check` runs that).
#
# The layers, lowest first; each may use only itself and those it lists:
#   abi       host-api/include/   the public headers
#   kit       plugin/             connector-neutral kit     -> abi
#   hubspot   hubspot/            the HubSpot connector     -> abi kit
#   loader    host-api/loader/    what a runtime links      -> abi kit
#   fixtures  fixtures/           replay server, recorder   -> abi kit
#   host      host-api/ochost/    the reference host        -> abi kit loader fixtures
#
# Includes are read from the sources (#include "..."). Calls are read from
# the objects in BUILD/obj with nm: a function or object a file uses that
# another product file defines. Within one folder (a .c and its .h count as
# one file), a file may call another only if that one does not call it
# back, directly or around a longer loop, and no file includes another's
# header while that one includes or calls it back.
set -eu
BUILD=${1:-build}
cd "$(dirname "$0")/.."

layer_of='
function layer(f) {
    if (f ~ /^host-api\/include\//) return "abi"
    if (f ~ /^plugin\//) return "kit"
    if (f ~ /^hubspot\//) return "hubspot"
    if (f ~ /^host-api\/loader\//) return "loader"
    if (f ~ /^fixtures\//) return "fixtures"
    if (f ~ /^host-api\/ochost\//) return "host"
    return ""
}
function allowed(from, to) {
    if (from == to || to == "abi") return 1
    if (to == "kit") return from != "abi"
    if (from == "host") return to == "loader" || to == "fixtures"
    return 0
}
function folder(f) { sub(/\/[^\/]*$/, "", f); return f }
function unit(f) { sub(/\.[ch]$/, "", f); sub(/\.o$/, "", f); return f }
'

srcs=$(ls plugin/*.[ch] hubspot/*.[ch] host-api/include/onecount/*.h host-api/loader/*.[ch] \
          host-api/ochost/*.[ch] fixtures/*.[ch] 2>/dev/null)

# Edges "from to kind" between files (sources without their extension, so
# a .c and its .h are one unit).
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

for f in $srcs; do
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | while read -r inc; do
        case $inc in
            onecount/*) inc="host-api/include/$inc" ;;
        esac
        [ -f "$inc" ] || continue
        echo "$f $inc include"
    done
done >>"$edges"

# "D file symbol" for every global definition, "U file symbol" for every
# use, from the object of each source (objects of files since moved away
# are not read).
for src in $srcs; do
    case $src in *.c) ;; *) continue ;; esac
    o="$BUILD/obj/${src%.c}.o"
    if [ ! -f "$o" ]; then
        echo "layering: $o is missing; build first (make layering builds it)" >&2
        exit 2
    fi
    nm -P "$o" | awk -v f="$src" '
        $2 == "U" { print "U", f, $1; next }
        $2 ~ /^[TDBRVW]$/ { print "D", f, $1 }'
done | awk '
    $1 == "D" { def[$3] = $2; next }
    { use[++n] = $2 " " $3 }
    END {
        for (i = 1; i <= n; i++) {
            split(use[i], u, " ")
            if ((u[2] in def) && def[u[2]] != u[1]) print u[1], def[u[2]], "call", u[2]
        }
    }' >>"$edges"

awk "$layer_of"'
{
    from = $1; to = $2; kind = $3; sym = $4
    lf = layer(from); lt = layer(to)
    if (lf == "" || lt == "") next
    if (!allowed(lf, lt)) {
        printf "layering: %s %s %s%s: the %s layer must not use the %s layer\n", from, \
               (kind == "include" ? "includes" : "calls into"), to, (sym != "" ? " (" sym ")" : ""), lf, lt
        bad++
        next
    }
    a = unit(from); b = unit(to)
    if (a == b || folder(a) != folder(b)) next
    # Every include counts: a source that includes a header uses its types
    # and inline helpers, so two files including each other are a circle.
    key = a SUBSEP b
    if (!(key in seen)) {
        seen[key] = (kind == "include" ? "includes" : "calls " sym)
        adj[a] = adj[a] " " b
        nodes[a] = 1; nodes[b] = 1
    }
}
function dfs(v,    list, k, i, w, path, j) {
    color[v] = 1; stack[++depth] = v
    k = split(adj[v], list, " ")
    for (i = 1; i <= k; i++) {
        w = list[i]
        if (color[w] == 1) {
            path = ""
            for (j = 1; j <= depth; j++) if (stack[j] == w) break
            for (; j <= depth; j++) path = path stack[j] " -(" seen[stack[j] SUBSEP (j < depth ? stack[j + 1] : w)] ")-> "
            printf "layering: circle: %s%s\n", path, w
            cycles++
        } else if (!color[w]) dfs(w)
    }
    depth--; color[v] = 2
}
END {
    for (v in nodes) if (!color[v]) dfs(v)
    if (bad || cycles) {
        printf "layering: %d crossing(s), %d circle(s); see the rules at the top of tests/layering.sh\n", bad, cycles
        exit 1
    }
    print "layering: ok"
}' "$edges"
