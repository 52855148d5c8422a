#!/bin/bash
set -eu
B=$1; N=$2; shift 2
R=$(mktemp -d /tmp/lwbench.XXXXXX)
mkdir "$R/logs"
"$B/memlogd" -socket-log "$R/l.sock" -socket-query "$R/q.sock" --buffer-size 512M &
MP=$!
# SIGINT: after SIGTERM memlogd's fd holder would keep everything.
trap 'kill -INT $MP 2>/dev/null; wait $MP; rm -rf "$R"' EXIT
while [ ! -S "$R/q.sock" ]; do sleep 0.01; done
# N lines of 64 bytes from one source
"$B/memlog-run" -socket "$R/l.sock" -n bench -- sh -c "yes 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0' | head -n $N"
last=""
while :; do
	last=$("$B/logread" -socket "$R/q.sock" -n 1 -o json | sed -n 's/.*"seq":\([0-9]*\).*/\1/p')
	[ "$last" = "$N" ] && break
	sleep 0.05
done
cur=$("$B/logread" -socket "$R/q.sock" -n 1 -o json | sed -n 's/.*"cursor":"\([^"]*\)".*/\1/p')
t0=$(date +%s.%N)
"$B/logwrite" -socket "$R/q.sock" -log-dir "$R/logs" "$@" &
LP=$!
until grep -q "cursor $cur" "$R/logs/.logwrite.state" 2>/dev/null; do sleep 0.005; done
t1=$(date +%s.%N)
kill $LP; wait $LP || true
bytes=$(cat "$R"/logs/bench.out.log* | wc -c)
files=$(ls "$R/logs" | wc -l)
# the same bytes, by cat, into one file on the same disk
cat "$R"/logs/bench.out.log* > "$R/all"
sync
t2=$(date +%s.%N)
cat "$R/all" > "$R/cat.out"
t3=$(date +%s.%N)
cat "$R/all" > "$R/catsync.out"; sync "$R/catsync.out"
t4=$(date +%s.%N)
awk -v n="$N" -v b="$bytes" -v f="$files" -v a="$t0" -v z="$t1" -v c0="$t2" -v c1="$t3" -v c2="$t4" 'BEGIN {
	lw = z - a; cat = c1 - c0; cs = c2 - c1;
	printf "entries %d bytes %d files %d | logwrite %.3f s = %.0f entries/s (%.1f MB/s) | cat %.4f s (%.0f MB/s) ratio %.1f | cat+fsync %.4f s ratio %.1f\n",
		n, b, f, lw, n / lw, b / lw / 1e6, cat, b / cat / 1e6, lw / cat, cs, lw / cs }'
