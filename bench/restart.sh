#!/bin/bash
# What a crash of memlogd costs with its fd holder, and what the holder
# costs to keep (issue 11), with bench/restart.c:
#  1. SIGKILL of a memlogd with 1000 sources (pipes held by the bench) and a
#     64 MiB ring full of 64-byte lines, started again with the same command
#     line: the time until `stats` answers with the 1000 sources open and
#     the ring's entries there, and (in other restarts) until a line written
#     while it was down is in the ring. Baseline, in the same run: a fresh
#     start with the same options and no holder (--fd-holder=no) until its
#     first `stats` answer. Medians of R of each, ratios per repetition.
#  2. VmRSS of memlog-fdholder holding 10,000 sources' fds, and memlogd's.
# Prints Markdown. Usage: bench/restart.sh [BUILD [R]]  (default build, 5)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
B=${1:-build}; R=${2:-5}
bench_need "$B" restart
T=$(mktemp -d /tmp/restartbench.XXXXXX)
trap 'rm -rf "$T"' EXIT

rc=0
load0=$(cut -d' ' -f1-3 /proc/loadavg)
"$B/bench/restart" -m adopt -d "$T" -k 1000 -l 64 -n "$R" -- "$B/memlogd" --buffer-size 64M > "$T/adopt" || rc=1
load1=$(cut -d' ' -f1-3 /proc/loadavg)
"$B/bench/restart" -m rss -d "$T" -k 10000 -l 64 -- "$B/memlogd" > "$T/rss" || rc=1

head=$(head -n 1 "$T/adopt")
reps=$(grep '^rep=' "$T/adopt")
col() { printf '%s\n' "$reps" | while read -r l; do printf '%s\n' "$l" | kv "$1"; done; }
ratio() { printf '%s\n' "$reps" | while read -r l; do
	a=$(printf '%s\n' "$l" | kv "$1"); b=$(printf '%s\n' "$l" | kv fresh_us)
	awk -v a="$a" -v b="$b" 'BEGIN { print a / b }'; done; }
ms() { col "$1" | stat_of | awk '{ printf "%.1f ms (%.1f-%.1f)", $1 / 1000, $2 / 1000, $3 / 1000 }'; }
times() { ratio "$1" | stat_of | awk '{ printf "%.1f (%.1f-%.1f)", $1, $2, $3 }'; }
entries=$(printf '%s\n' "$head" | kv ring_entries)
held=$(printf '%s\n' "$head" | kv held_fds)

echo "Restart of memlogd after SIGKILL with the same command line; 1000 sources (pipes held by the bench), a 64 MiB ring holding $entries 64-byte entries (fds in the holder: $held); medians of $R (range); load average $load0 at the start, $load1 at the end:"
echo
echo "| from SIGKILL to | time | from exec of the new memlogd | fresh start (\`--fd-holder=no\`), exec to first \`stats\` answer | restart / fresh start |"
echo "|---|---:|---:|---:|---:|"
echo "| \`stats\` answers with all 1000 sources open and the ring's entries | $(ms adopt_us) | $(ms adopt_exec_us) | $(ms fresh_us) | $(times adopt_us) |"
echo "| a line written while memlogd was down is in the ring (\`dump last=8\`) | $(ms line_us) | $(ms line_exec_us) | (same) | $(times line_us) |"
polls=$(col adopt_polls | sort -g | tail -n 1)
echo
echo "The first \`stats\` answer after a restart already had everything in $( [ "$polls" = 1 ] && echo "every" || echo "not every") restart (most polls needed: $polls)."
echo
echo "fd holder and memlogd, 10,000 sources (default 4 MiB ring), VmRSS in KiB:"
echo
echo "| state | fds held | memlog-fdholder VmRSS (RssAnon / RssFile) | memlogd VmRSS (RssAnon / RssFile / RssShmem) |"
echo "|---|---:|---:|---:|"
while read -r l; do
	f() { printf '%s\n' "$l" | kv "$1"; }
	case $(f phase) in
	empty) what="started, no source";;
	registered) what="10,000 sources registered";;
	one_line_each) what="and one 64-byte line from each stored (1.5 s later)";;
	*) what=$(f phase);;
	esac
	echo "| $what | $(f held_fds) | $(f holder_VmRSS_kb) ($(f holder_RssAnon_kb) / $(f holder_RssFile_kb)) | $(f memlogd_VmRSS_kb) ($(f memlogd_RssAnon_kb) / $(f memlogd_RssFile_kb) / $(f memlogd_RssShmem_kb)) |"
done < "$T/rss"
[ "$rc" = 0 ] || { echo; echo "SOME CHECKS FAILED (MISMATCH lines on stderr)"; }
exit "$rc"
