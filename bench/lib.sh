# shellcheck shell=bash
# Sourced by the bench/*.sh scripts that drive the programs of bench/*.c.

# bench_need BUILD PROG...: BUILD/bench/PROG, compiled as scripts/bench does
# when it is missing or older than its source or the headers; BUILD/memlogd
# and BUILD/memlog-fdholder must be built (make BUILD/memlogd
# BUILD/memlog-fdholder).
bench_need() {
	local b=$1 p
	shift
	for p in memlogd memlog-fdholder; do
		[ -x "$b/$p" ] || { echo "bench: $b/$p missing: make $b/$p" >&2; return 1; }
	done
	mkdir -p "$b/bench"
	for p in "$@"; do
		if [ ! -x "$b/bench/$p" ] || [ "bench/$p.c" -nt "$b/bench/$p" ] ||
		   [ bench/bench.h -nt "$b/bench/$p" ] || [ bench/stats.h -nt "$b/bench/$p" ]; then
			# shellcheck disable=SC2046
			"${CC:-cc}" -O2 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter \
				-D_GNU_SOURCE -pthread $(pkg-config --cflags jansson 2>/dev/null) \
				-o "$b/bench/$p" "bench/$p.c" \
				$(pkg-config --libs jansson 2>/dev/null || echo -ljansson) || return 1
		fi
	done
}

# kv KEY: the value of KEY= in the key=value words on stdin (first line
# that has it).
kv() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }'; }

# stat_of: "median min max" of the numbers on stdin, one a line (the
# median of an even count is the mean of the two middle ones, as in
# report.awk).
stat_of() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (!NR) { print "nan nan nan"; exit }
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		print m, a[1], a[NR] }'
}
