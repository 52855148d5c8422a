#!/bin/bash
# memlog-forward's throughput to a real rsyslogd on loopback, over TCP and
# over RELP, against a baseline measured in the same run: the same number
# of RFC 5424 messages (octet-counted, same size) written raw to rsyslog's
# imtcp by `cat > /dev/tcp/...`. Each figure is the time until rsyslog has
# written the last line to its output file.
# A second baseline shows what RELP itself costs at that receiver:
# bench/relpraw, frames written by hand in large writes with the same
# window as memlog-forward's (128), answers read as they come.
# With R repetitions, each runs the four one after the other and the
# ratios are taken within it; the medians (min-max) are printed.
# Usage: bench/forward.sh [BUILD [N [R]]]   (default build, 100000, 1)
set -eu
B=${1:-build}; N=${2:-100000}; REPS=${3:-1}
W=${RELP_WINDOW:-128}   # memlog-forward's --relp-window, and relpraw's
. "$(dirname "$0")/lib.sh"
bench_need "$B" relpraw
R=$(mktemp -d /tmp/fwdbench.XXXXXX)
pids=() MP=
# memlogd with SIGINT: after SIGTERM its fd holder would keep everything.
cleanup() {
	[ -z "$MP" ] || kill -INT "$MP" 2>/dev/null || true
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true; rm -rf "$R"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TP=$(port); RP=$(port)
cat > "$R/rs.conf" <<CONF
global(workDirectory="$R")
main_queue(queue.type="Direct")
module(load="imtcp")
module(load="imrelp")
template(name="t" type="string" string="%app-name% %structured-data% %msg%\n")
ruleset(name="r" queue.type="Direct") { action(type="omfile" file="$R/out.log" template="t") }
input(type="imtcp" port="$TP" address="127.0.0.1" ruleset="r")
input(type="imrelp" port="$RP" address="127.0.0.1" ruleset="r")
CONF
/usr/sbin/rsyslogd -n -f "$R/rs.conf" -i "$R/rs.pid" 2>"$R/rs.err" & pids+=($!)
"$B/memlogd" -socket-log "$R/l.sock" -socket-query "$R/q.sock" --buffer-size 256M & MP=$!
while [ ! -S "$R/q.sock" ] || ! (exec 3<>/dev/tcp/127.0.0.1/$TP) 2>/dev/null; do sleep 0.02; done
"$B/memlog-run" -socket "$R/l.sock" -n bench -- sh -c "yes 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0' | head -n $N"
until [ "$("$B/logread" -socket "$R/q.sock" -n 1 -o json | sed -n 's/.*"seq":\([0-9]*\).*/\1/p')" = "$N" ]; do sleep 0.05; done

wait_lines() { # until the output has $1 lines
	while [ "$( (wc -l < "$R/out.log") 2>/dev/null || echo 0)" -lt "$1" ]; do sleep 0.01; done
}
now() { date +%s.%N; }

# Baseline: the same number of octet-counted messages of the same size.
msg="<14>1 2026-11-22T05:07:16.484369Z $(hostname) bench - stdout [memlog@32473 cursor=\"m1-0123456789abcdef-00000000000186a0\" seq=\"100000\" source=\"bench\" stream=\"stdout\" partial=\"false\"] abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0"
awk -v n="$N" -v m="$msg" 'BEGIN { f = length(m) " " m; for (i = 0; i < n; i++) printf "%s", f }' > "$R/frames"
: > "$R/out.log"
raw_run() {
	rm -f "$R/out.log"; kill -HUP "$(cat "$R/rs.pid")"; sleep 0.3
	local s; s=$(now)
	cat "$R/frames" > /dev/tcp/127.0.0.1/$TP; wait_lines "$N"; local e; e=$(now)
	echo "$s $e"
}
run_fwd() { # scheme port
	rm -f "$R/out.log" "$R/st"; kill -HUP "$(cat "$R/rs.pid")"; sleep 0.3
	local s; s=$(now)
	# PERF_DIR=DIR: each forwarder runs under perf record (DIR/SCHEME.data).
	${PERF_DIR:+perf record -g -o "$PERF_DIR/$1.data" --} \
	"$B/memlog-forward" -socket "$R/q.sock" --target "$1://127.0.0.1:$2" --state-file "$R/st" --relp-window "$W" 2>>"$R/fw.err" &
	local p=$!
	wait_lines "$N"; local e; e=$(now)
	kill -INT $p; wait $p || true
	echo "$s $e"
}
relp_raw_run() {
	rm -f "$R/out.log"; kill -HUP "$(cat "$R/rs.pid")"; sleep 0.3
	local s; s=$(now)
	"$B/bench/relpraw" 127.0.0.1 "$RP" "$N" "$W" "$msg" >/dev/null
	wait_lines "$N"; local e; e=$(now)
	echo "$s $e"
}
for rep in $(seq "$REPS"); do
	read -r t0 t1 < <(raw_run)
	read -r a0 a1 < <(run_fwd tcp "$TP")
	read -r b0 b1 < <(run_fwd relp "$RP")
	read -r c0 c1 < <(relp_raw_run)
	echo "$t0 $t1 $a0 $a1 $b0 $b1 $c0 $c1"
done | awk -v n="$N" -v reps="$REPS" -v w="$W" '
function med(a, k,   i, j, t, b) {
	for (i = 1; i <= k; i++) b[i] = a[i]
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
	lo = b[1]; hi = b[k]
	return (k % 2) ? b[(k + 1) / 2] : (b[k / 2] + b[k / 2 + 1]) / 2
}
{ r = n / ($2 - $1); raw[NR] = r; tcp[NR] = n / ($4 - $3); relp[NR] = n / ($6 - $5)
  rr[NR] = n / ($8 - $7)
  qt[NR] = tcp[NR] / r; qr[NR] = relp[NR] / r; qq[NR] = rr[NR] / r; qf[NR] = relp[NR] / rr[NR] }
END {
	a = med(raw, NR); b = med(tcp, NR); c = med(relp, NR); d = med(rr, NR)
	x = med(qt, NR); xl = lo; xh = hi; y = med(qr, NR); yl = lo; yh = hi
	z = med(qq, NR); zl = lo; zh = hi; f = med(qf, NR)
	printf "entries %d, medians of %d | raw TCP write to rsyslog %.0f msg/s | memlog-forward tcp %.0f entries/s (%.2f of raw, %.2f-%.2f) | relp %.0f entries/s (%.2f of raw, %.2f-%.2f) | raw RELP frames, window %d: %.0f msg/s (%.2f of raw TCP, %.2f-%.2f); memlog-forward relp %.2f of raw RELP (%.2f-%.2f)\n", n, reps, a, b, x, xl, xh, c, y, yl, yh, w, d, z, zl, zh, f, lo, hi
}'
