#!/bin/bash
# memlog's clients against a raw client (issue 13), all in one run: one
# ring of N 64-byte lines from one source (memlog-run, --buffer-size 256M,
# so nothing is evicted), read R times by each of:
#   raw      build/bench/rawdump: sends "dump" and reads memlogd's v2 JSON
#            answer into nothing (the baseline of every ratio)
#   rawbin   the same with "dump format=binary" (memlogd's binary records)
#   raw0     the same with LinuxKit's byte 0
#   logread          `logread > FILE` (LinuxKit's byte with memlog's
#                    request for binary records behind it: its output)
#   logread-lk       `logread --legacy-request > FILE` (LinuxKit's byte
#                    alone: its JSON lines parsed, the same output)
#   logread-legacy   `logread -source '*' > FILE` (the same output from
#                    binary records: any memlog option asks for them)
#   logread-short    `logread -o short > FILE`
#   logread-json     `logread -o json > FILE`
#   logwrite         logwrite with its defaults catching up from nothing to
#                    the last entry (until its state file has that cursor)
#   logwrite-1file   the same with -max-log-size 1G (no rotation)
# interleaved (one of each per repetition, in that order); each ratio is
# taken within a repetition against that repetition's raw figure, and the
# medians are printed (with min-max) as a markdown table.
# Usage: bench/clients.sh [BUILD [N [R]]]   (default build 1000000 3)
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
B=${1:-build}; N=${2:-1000000}; REPS=${3:-3}
bench_need "$B" rawdump catchup
for p in logread logwrite memlog-run; do
	[ -x "$B/$p" ] || { echo "bench: $B/$p missing: make $B/$p" >&2; exit 1; }
done
R=$(mktemp -d /tmp/clbench.XXXXXX)
MP=
# memlogd with SIGINT: after SIGTERM its fd holder would keep everything.
cleanup() {
	[ -z "$MP" ] || kill -INT "$MP" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$R"
}
trap cleanup EXIT
Q=$R/q.sock
"$B/memlogd" -socket-log "$R/l.sock" -socket-query "$Q" --buffer-size 256M & MP=$!
for _ in $(seq 500); do [ -S "$Q" ] && break; sleep 0.02; done
"$B/memlog-run" -socket "$R/l.sock" -n bench -- sh -c \
	"yes 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0' | head -n $N"
for _ in $(seq 3000); do
	last=$("$B/logread" -socket "$Q" -n 1 -o json)
	seq=$(printf '%s' "$last" | sed -n 's/.*"seq":\([0-9]*\).*/\1/p')
	[ "$seq" = "$N" ] && break
	sleep 0.02
done
[ "$seq" = "$N" ] || { echo "bench/clients.sh: the ring did not get $N lines" >&2; exit 1; }
cur=$(printf '%s' "$last" | sed -n 's/.*"cursor":"\([^"]*\)".*/\1/p')

now() { date +%s.%N; }
sec() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
# lines FILE: its line count, which must be at least N (a check, untimed)
check_lines() {
	local n
	n=$(wc -l <"$2")
	[ "$n" -ge "$N" ] || { echo "bench/clients.sh: MISMATCH: $1 wrote $n lines of $N" >&2; exit 1; }
}
res=$R/res
: >"$res"
for rep in $(seq "$REPS"); do
	read -r t b < <("$B/bench/rawdump" "$Q" dump)
	echo "$rep raw $t $b" >>"$res"
	read -r t b < <("$B/bench/rawdump" "$Q" "dump format=binary")
	echo "$rep rawbin $t $b" >>"$res"
	read -r t b < <("$B/bench/rawdump" "$Q" 0)
	echo "$rep raw0 $t $b" >>"$res"
	for o in "" lk legacy short json; do
		name=logread${o:+-$o}
		args=()
		case $o in
		lk) args=(--legacy-request) ;;
		legacy) args=(-source '*') ;; # any memlog option: binary records
		?*) args=(-o "$o") ;;
		esac
		rm -f "$R/out"
		t0=$(now)
		"$B/logread" -socket "$Q" "${args[@]}" >"$R/out"
		t1=$(now)
		check_lines "$name" "$R/out"
		echo "$rep $name $(sec "$t0" "$t1") $(stat -c %s "$R/out")" >>"$res"
	done
	rm -f "$R/out"
	rm -rf "$R/logs"; mkdir "$R/logs"
	t=$("$B/bench/catchup" "$R/logs/.logwrite.state" "cursor $cur" -- \
		"$B/logwrite" -socket "$Q" -log-dir "$R/logs")
	echo "$rep logwrite $t $(cat "$R"/logs/bench.out.log* | wc -c)" >>"$res"
	# the same without rotations (one file), to tell their cost
	rm -rf "$R/logs"; mkdir "$R/logs"
	t=$("$B/bench/catchup" "$R/logs/.logwrite.state" "cursor $cur" -- \
		"$B/logwrite" -socket "$Q" -log-dir "$R/logs" -max-log-size 1G)
	echo "$rep logwrite-1file $t $(cat "$R"/logs/bench.out.log* | wc -c)" >>"$res"
done

# per repetition: rate = N / t and ratio = rate / raw's rate
awk -v n="$N" -v reps="$REPS" '
function med(a, k,   i, j, t, b) {
	for (i = 1; i <= k; i++) b[i] = a[i]
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
	lo = b[1]; hi = b[k]
	return (k % 2) ? b[(k + 1) / 2] : (b[k / 2] + b[k / 2 + 1]) / 2
}
{ t[$1, $2] = $3; bytes[$2] = $4; if (!($2 in seen)) { seen[$2] = 1; order[++no] = $2 } }
END {
	desc["raw"] = "raw client: `dump`, v2 JSON into nothing"
	desc["rawbin"] = "raw client: `dump format=binary` into nothing"
	desc["raw0"] = "raw client: LinuxKit byte 0 into nothing"
	desc["logread"] = "`logread > FILE` (LinuxKit byte, binary records behind it)"
	desc["logread-lk"] = "`logread --legacy-request > FILE` (LinuxKit byte alone, JSON lines)"
	desc["logread-legacy"] = "`logread -source \"*\" > FILE` (same output, binary records)"
	desc["logread-short"] = "`logread -o short > FILE` (binary records)"
	desc["logread-json"] = "`logread -o json > FILE` (binary records)"
	desc["logwrite"] = "`logwrite` catch-up (defaults: text, 1 MiB files, fsync per batch)"
	desc["logwrite-1file"] = "`logwrite -max-log-size 1G` catch-up (no rotation)"
	printf "%d entries of 64 bytes, one source; medians of %d repetitions (min-max)\n\n", n, reps
	print "| reader | M entries/s | of the raw client (v2 JSON) | of the raw binary client | MB read or written |"
	print "|---|---:|---:|---:|---:|"
	for (i = 1; i <= no; i++) {
		c = order[i]
		for (r = 1; r <= reps; r++) {
			rate[r] = n / t[r, c] / 1e6
			ratio[r] = t[r, "raw"] / t[r, c]; rb[r] = t[r, "rawbin"] / t[r, c]
		}
		m = med(rate, reps); rl = lo; rh = hi
		q = med(ratio, reps); ql = lo; qh = hi
		b = med(rb, reps)
		printf "| %s | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %.1f |\n", desc[c], m, rl, rh, q, ql, qh, b, lo, hi, bytes[c] / 1e6
	}
}' "$res"
