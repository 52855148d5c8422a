#!/bin/bash
# What memlogd's source table costs (issue 18, item 18): memlogd's CPU time
# per syslog message whose tag is new, and per registration of a pipe under
# a new name, with an empty table and after FILL distinct syslog tags (all
# still live), for each build given, in one run on one machine; medians of
# RUNS runs, the builds taking turns. bench/srctab.c does the sending and
# the measuring (memlogd's /proc/PID/schedstat, no query in the window).
#
# Usage: bench/srctab.sh [-f FILL] [-n NEW] [-R REGS] [-r RUNS] BUILD[:ARGS]...
#   BUILD: a build directory holding memlogd; ARGS (after ':', split on
#   commas): extra memlogd options, e.g. build:--fd-holder=no
# Example (the table before and after the hash; 8347c68 built in /tmp/old):
#   bench/srctab.sh /tmp/old/build build:--fd-holder=no build
set -eu
FILL=40000 NEW=10000 REGS=2000 RUNS=5
while getopts f:n:R:r: o; do
	case $o in
	f) FILL=$OPTARG ;; n) NEW=$OPTARG ;; R) REGS=$OPTARG ;; r) RUNS=$OPTARG ;;
	*) sed -n '/^# Usage/,/^# Example/p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { sed -n '/^# Usage/,/^# Example/p' "$0" >&2; exit 2; }
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/srctab-bench.XXXXXX)
pid=
stop() {
	[ -n "$pid" ] || return 0
	# SIGINT: a memlogd with an fd holder lets it go too.
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
}
trap 'stop; rm -rf "$T"' EXIT
${CC:-cc} -O2 -g -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -o "$T/srctab" bench/srctab.c

# One memlogd of build $1 (extra options $2), table filled with $3 tags:
# prints "NEW_TAG_US REGISTRATION_US".
measure() {
	local b=$1 extra=$2 fill=$3 d=$T/run out
	rm -rf "$d"; mkdir -p "$d"
	local -a args=()
	[ -z "$extra" ] || IFS=, read -r -a args <<< "$extra"
	"$b/memlogd" --socket-log "$d/l.sock" --socket-query "$d/q.sock" \
		--syslog="$d/s.sock" --max-sources $((FILL + NEW + REGS + 1000)) \
		--buffer-size 64M ${args[@]+"${args[@]}"} 2> "$d/err" &
	pid=$!
	for _ in $(seq 500); do
		[ -S "$d/q.sock" ] && [ -S "$d/s.sock" ] && break
		sleep 0.01
	done
	out=$("$T/srctab" -p "$pid" -y "$d/s.sock" -r "$d/l.sock" -q "$d/q.sock" \
		-f "$fill" -n "$NEW" -R "$REGS") || { cat "$d/err" >&2; exit 1; }
	stop
	sed -E 's/.*new_tag_us=([0-9.]+).*registration_us=([0-9.]+).*/\1 \2/' <<< "$out"
}

med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A tag reg
for _ in $(seq "$RUNS"); do
	for spec in "$@"; do
		b=${spec%%:*}; extra=; [ "$spec" = "$b" ] || extra=${spec#*:}
		for fill in 0 "$FILL"; do
			read -r t r < <(measure "$b" "$extra" "$fill")
			tag[$spec/$fill]+="$t "; reg[$spec/$fill]+="$r "
		done
	done
done
printf 'srctab: memlogd CPU time, us (median of %d runs; %d new tags, %d registrations)\n' \
	"$RUNS" "$NEW" "$REGS"
printf '%-36s %12s %12s %12s %12s\n' build "tag, empty" "tag, $FILL" \
	"reg, empty" "reg, $FILL"
for spec in "$@"; do
	# shellcheck disable=SC2086
	printf '%-36s %12s %12s %12s %12s\n' "$spec" \
		"$(med ${tag[$spec/0]})" "$(med ${tag[$spec/$FILL]})" \
		"$(med ${reg[$spec/0]})" "$(med ${reg[$spec/$FILL]})"
done
