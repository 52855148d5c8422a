#!/bin/bash
# Sustained load with logwrite following (issue 13): K sources writing
# RATE 64-byte lines/s in all for SECONDS s (bench/sustain.c) into memlogd
# with a 64 MiB ring, logwrite following from the start (text format, one
# file per source: -max-log-size 1G, so that nothing is rotated away).
# Then, untimed: logwrite catches up to the newest entry, and every
# source's file must hold exactly the lines written to it, each once and
# in order, with no loss marker (logwrite writes memlogd's markers to
# memlogd.log). Prints one line of results; exit status 1 on a MISMATCH.
# Usage: bench/sustained.sh [BUILD [K [RATE [SECONDS]]]]
#        (default build 100 1000000 30)
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
B=${1:-build}; K=${2:-100}; RATE=${3:-1000000}; SECS=${4:-30}
bench_need "$B" sustain
for p in logread logwrite; do
	[ -x "$B/$p" ] || { echo "bench: $B/$p missing: make $B/$p" >&2; exit 1; }
done
R=$(mktemp -d "${BENCH_DIR:-/tmp}/susbench.XXXXXX")
MP= LP=
cleanup() {
	[ -z "$LP" ] || kill "$LP" 2>/dev/null || true
	# SIGINT: after SIGTERM memlogd's fd holder would keep everything.
	[ -z "$MP" ] || kill -INT "$MP" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$R"
}
trap cleanup EXIT
Q=$R/q.sock
mkdir "$R/logs"
"$B/memlogd" -socket-log "$R/l.sock" -socket-query "$Q" --buffer-size 64M & MP=$!
for _ in $(seq 500); do [ -S "$Q" ] && break; sleep 0.02; done
"$B/logwrite" -socket "$Q" -log-dir "$R/logs" -max-log-size 1G & LP=$!
cpu0=$(awk '{ print $14 + $15 }' "/proc/$MP/stat")
lcpu0=$(awk '{ print $14 + $15 }' "/proc/$LP/stat")
"$B/bench/sustain" -r "$R/l.sock" -k "$K" -R "$RATE" -T "$SECS" >"$R/written"
cpu1=$(awk '{ print $14 + $15 }' "/proc/$MP/stat")
lcpu1=$(awk '{ print $14 + $15 }' "/proc/$LP/stat")
t0=$(date +%s.%N)
# logwrite catches up: until its state has the newest entry's cursor
for _ in $(seq 6000); do
	cur=$("$B/logread" -socket "$Q" -n 1 -o json | sed -n 's/.*"cursor":"\([^"]*\)".*/\1/p')
	grep -q "cursor $cur" "$R/logs/.logwrite.state" 2>/dev/null && break
	sleep 0.1
done
t1=$(date +%s.%N)
kill "$LP"; wait "$LP" || true; LP=
markers=0
[ -f "$R/logs/memlogd.log" ] && markers=$(grep -c -E 'entries were (overwritten|lost)|lagged|missed' "$R/logs/memlogd.log" || true)
# every file: line j of source k is "sKKKK iJJJJJJJJJJJ", j = 0, 1, 2...
bad=$(awk '
FNR == 1 { if (FILENAME in seen) next; seen[FILENAME] = 1 }
{
	for (i = 1; i <= NF; i++) if ($i ~ /^s[0-9][0-9][0-9][0-9]$/) break
	if (i > NF) { if (bad < 10) print "MISMATCH: " FILENAME ": line " FNR " is not a bench line"; bad++; next }
	k = substr($i, 2) + 0; j = substr($(i + 1), 2) + 0
	if (j != got[k] + 0) { if (bad < 10) print "MISMATCH: source " k ": line " j " where " got[k] + 0 " was due"; bad++ }
	got[k] = j + 1
}
END { for (k in got) printf "got %d %d\n", k, got[k] }' "$R"/logs/sus-*.out.log)
ok=1
if printf '%s\n' "$bad" | grep -q MISMATCH; then
	printf '%s\n' "$bad" | grep MISMATCH >&2; ok=0
fi
# each source: lines on disk == lines written
while read -r src n; do
	k=${src#source=sus-}; k=${k%.out}; n=${n#lines=}
	g=$(printf '%s\n' "$bad" | awk -v k="$k" '$1 == "got" && $2 == k { print $3 }')
	if [ "${g:-0}" != "$n" ]; then
		echo "MISMATCH: sus-$k.out: $n lines written, ${g:-0} on disk" >&2; ok=0
	fi
done < <(grep '^source=' "$R/written")
[ "$markers" = 0 ] || {
	echo "MISMATCH: $markers loss markers in memlogd.log, the first:" >&2
	head -3 "$R/logs/memlogd.log" >&2
	echo "entries overwritten per second (UTC second: entries):" >&2
	awk '/entries were overwritten/ { for (i = 1; i <= NF; i++) if ($i == "entries") n[substr($1, 12, 8)] += $(i - 1) }
	     END { for (t in n) print t ": " n[t] }' "$R/logs/memlogd.log" | sort >&2
	ok=0; }
w=$(head -1 "$R/written")
tck=$(getconf CLK_TCK)
awk -v w="$w" -v m="$markers" -v ok="$ok" -v c="$(( cpu1 - cpu0 ))" -v lc="$(( lcpu1 - lcpu0 ))" \
	-v t="$tck" -v a="$t0" -v b="$t1" -v k="$K" 'BEGIN {
	printf "sources %d | written: %s | memlogd CPU %.1f s, logwrite CPU %.1f s while writing | logwrite caught up %.1f s after the writers ended | loss markers %d | every line on disk exactly once, in order: %s\n",
		k, w, c / t, lc / t, b - a, m, ok ? "yes" : "NO" }'
[ "$ok" = 1 ]
