#!/bin/bash
# The pause a writer sees while memlogd is replaced (issue 11), with
# bench/restart.c -m pause: one source; a writer doing one blocking write()
# of a 64-byte line every ms for MS milliseconds, every write() timed. In
# the first half memlogd runs undisturbed (the baseline, same run); in the
# second it is SIGKILLed and started again with the same command line N
# times (its fd holder keeps the pipe meanwhile). Every line must be stored.
# KIND upgrade: the same with N live upgrades instead (SIGUSR2: memlogd
# executes its binary again in place, readers kept).
# Prints Markdown. Usage: bench/writer-pause.sh [BUILD [N [MS [KIND]]]]
# (default build, 10, 20000, restart)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
B=${1:-build}; N=${2:-10}; MS=${3:-20000}; KIND=${4:-restart}
case $KIND in
restart) flag= what="SIGKILL of memlogd and a start with the same command line" ;;
upgrade) flag=-U what="live upgrade of memlogd (SIGUSR2)" ;;
*) echo "bench/writer-pause.sh: KIND is restart or upgrade" >&2; exit 2 ;;
esac
bench_need "$B" restart
T=$(mktemp -d /tmp/pausebench.XXXXXX)
trap 'rm -rf "$T"' EXIT
load0=$(cut -d' ' -f1-3 /proc/loadavg)
rc=0
"$B/bench/restart" -m pause $flag -d "$T" -k 1 -l 64 -n "$N" -T "$MS" -- "$B/memlogd" > "$T/out" || rc=1
load1=$(cut -d' ' -f1-3 /proc/loadavg)
f() { kv "$1" < "$T/out"; }
half=$((MS / 2))
echo "One writer, one 64-byte line per ms with a blocking \`write()\`, ${MS} ms; $what $(f restarts) times in the second half (each until \`stats\` answers again: median $(f restart_ms_median) ms, at most $(f restart_ms_max) ms); load average $load0 at the start, $load1 at the end:"
echo
echo "| writes | n | write() p50 | p99 | max |"
echo "|---|---:|---:|---:|---:|"
echo "| first ${half} ms, memlogd undisturbed | $(f steady_n) | $(f steady_p50_us) us | $(f steady_p99_us) us | $(f steady_max_us) us |"
echo "| last ${half} ms, with the ${KIND}s | $(f restart_n) | $(f restart_p50_us) us | $(f restart_p99_us) us | $(f restart_max_us) us |"
echo "| of these, made from the signal (SIGKILL or SIGUSR2) until 1 ms after memlogd answered again | $(f down_n) | | | $(f down_max_us) us |"
echo
echo "Lines stored: all $(f writes) ($( [ "$rc" = 0 ] && [ "$(f ok)" = 1 ] && echo "checked" || echo "CHECK FAILED")); write() errors: $(f errors)."
[ "$rc" = 0 ] && [ "$(f ok)" = 1 ]
