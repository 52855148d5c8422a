#!/bin/bash
# What memlogd's fd holder costs ingest (issue 11): the load generator of
# the ingest matrix (bench/loadgen.c; 64-byte lines, 1 source and 1000
# sources, 64 KiB writes and one write() per line), each repetition running
# the drain, memlogd as installed (with its holder) and memlogd
# --fd-holder=no one right after the other. Prints Markdown: lines/s, the
# ratio holder / no holder and each against the drain (medians of the
# per-repetition ratios, range), memlogd's CPU per line.
# Usage: bench/holder-ingest.sh [BUILD [R [QUICK]]]  (default build, 5, 0)
# Sizes as in scripts/bench: 16,000,000 lines in 64 KiB writes, 1,000,000
# with one write() per line (QUICK=1: 400,000 and 100,000).
# BENCH_EARLIER=PATH: also run this memlogd binary (an earlier build, e.g.
# of the commit of the last full run) in each repetition, for a
# before/after in the same run.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
B=${1:-build}; R=${2:-5}; Q=${3:-0}
W=${BENCH_WRITERS:-2}
E=${BENCH_EARLIER:-}
bench_need "$B" loadgen drain
T=$(mktemp -d /tmp/holderbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
if [ "$Q" = 1 ]; then n_bulk=400000 n_line=100000; else n_bulk=16000000 n_line=1000000; fi
reg=$T/reg.sock qry=$T/query.sock
failed=0

run() { # OUTFILE TARGET SHAPE K N -- RECEIVER...
	local out=$1 target=$2 shape=$3 k=$4 n=$5 line
	shift 6
	if ! line=$("$B/bench/loadgen" -t "$target" -r "$reg" -q "$qry" -w "$W" -k "$k" -n "$n" \
		-l 64 -m "$shape" -- "$@"); then
		echo "bench: FAILED: loadgen -t $target -k $k -m $shape -- $*" >&2
		failed=1
		return
	fi
	printf '%s\n' "$line" >> "$out"
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
for k in 1 1000; do
	for shape in bulk line; do
		n=$([ "$shape" = bulk ] && echo "$n_bulk" || echo "$n_line")
		for _ in $(seq "$R"); do
			c=$T/$k-$shape
			run "$c.drain" drain "$shape" "$k" "$n" -- "$B/bench/drain" -socket-log "$reg" -socket-query "$qry"
			run "$c.hold" memlogd "$shape" "$k" "$n" -- "$B/memlogd" -socket-log "$reg" -socket-query "$qry"
			run "$c.nohold" memlogd "$shape" "$k" "$n" -- "$B/memlogd" -socket-log "$reg" -socket-query "$qry" --fd-holder=no
			[ -z "$E" ] || run "$c.earlier" memlogd "$shape" "$k" "$n" -- "$E" -socket-log "$reg" -socket-query "$qry"
		done
	done
done

col() { while read -r l; do printf '%s\n' "$l" | kv "$2"; done < "$1"; }
# per-repetition ratios a/b of the lines/s in files A and B (same order)
ratios() { paste -d' ' <(col "$1" lines_s) <(col "$2" lines_s) | awk '$1 && $2 { print $1 / $2 }'; }
pcr() { stat_of | awk '$1 != "nan" { printf "%.0f %% (%.0f-%.0f)", $1 * 100, $2 * 100, $3 * 100; next } { printf "n/a" }'; }
mls() { col "$1" lines_s | stat_of | awk '$1 != "nan" { printf "%.2f", $1 / 1e6; next } { printf "n/a" }'; }
cpu() { col "$1" sched_us_line | stat_of | awk '$1 != "nan" { printf "%.2f", $1; next } { printf "n/a" }'; }

echo "64-byte lines; each repetition: drain, memlogd with its fd holder, memlogd \`--fd-holder=no\`$([ -z "$E" ] || echo ", the earlier memlogd \`$E\`"); medians of $R (range); load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end:"
echo
if [ -z "$E" ]; then
	echo "| sources | writes | drain M lines/s | with holder M lines/s | no holder M lines/s | with holder / no holder | with holder / drain | no holder / drain | CPU us/line (schedstat) with / without holder (drain) |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
else
	echo "| sources | writes | drain M lines/s | with holder M lines/s | no holder M lines/s | earlier M lines/s | with holder / no holder | with holder / drain | no holder / drain | earlier / drain | with holder / earlier | CPU us/line (schedstat) with / without holder / earlier (drain) |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
fi
for k in 1 1000; do
	for shape in bulk line; do
		c=$T/$k-$shape
		for f in drain hold nohold earlier; do [ -s "$c.$f" ] || : > "$c.$f"; done
		w=$([ "$shape" = bulk ] && echo "64 KiB" || echo "1 per line")
		if [ -z "$E" ]; then
			echo "| $k | $w | $(mls "$c.drain") | $(mls "$c.hold") | $(mls "$c.nohold") | $(ratios "$c.hold" "$c.nohold" | pcr) | $(ratios "$c.hold" "$c.drain" | pcr) | $(ratios "$c.nohold" "$c.drain" | pcr) | $(cpu "$c.hold") / $(cpu "$c.nohold") ($(cpu "$c.drain")) |"
		else
			echo "| $k | $w | $(mls "$c.drain") | $(mls "$c.hold") | $(mls "$c.nohold") | $(mls "$c.earlier") | $(ratios "$c.hold" "$c.nohold" | pcr) | $(ratios "$c.hold" "$c.drain" | pcr) | $(ratios "$c.nohold" "$c.drain" | pcr) | $(ratios "$c.earlier" "$c.drain" | pcr) | $(ratios "$c.hold" "$c.earlier" | pcr) | $(cpu "$c.hold") / $(cpu "$c.nohold") / $(cpu "$c.earlier") ($(cpu "$c.drain")) |"
		fi
	done
done
exit "$failed"
