#!/bin/bash
# What memlog-runc's tee costs a container's output: N lines of 64 bytes
# written by a "container" (a fake runtime that runs `head` as the
# container process) to its stdout, drained by `cat` as an engine would,
#   baseline: straight into the engine's pipe (memlog-runc pass-through:
#             no memlogd socket),
#   tee:      through memlogd (stored in the ring and copied on).
# Reports lines/s of each and the ratio, medians of R runs.
# Usage: bench/tee.sh [BUILD [N [R]]]
set -eu
B=${1:-build}; N=${2:-2000000}; R=${3:-5}
T=$(mktemp -d /tmp/teebench.XXXXXX)
# SIGINT: after SIGTERM memlogd's fd holder would keep everything.
trap 'kill -INT $(cat "$T/pid" 2>/dev/null) 2>/dev/null || true; wait; rm -rf "$T"' EXIT
yes 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0' | head -n "$N" > "$T/lines"
mkdir -p "$T/bundle"
echo '{"process":{"terminal":false},"annotations":{"memlog.name":"bench"}}' > "$T/bundle/config.json"
# The "runtime": runs the container process in place of runc.
printf '#!/bin/sh\nexec cat %s\n' "$T/lines" > "$T/fake-runc"
chmod +x "$T/fake-runc"
"$B/memlogd" -socket-log "$T/l.sock" -socket-query "$T/q.sock" --buffer-size 64M & echo $! > "$T/pid"
while [ ! -S "$T/q.sock" ]; do sleep 0.02; done
run() { # socket
	local s e
	s=$(date +%s.%N)
	"$B/memlog-runc" --memlog-runtime "$T/fake-runc" --memlog-socket "$1" \
		--memlog-pids-limit 0 run --bundle "$T/bundle" bench | cat > /dev/null
	e=$(date +%s.%N)
	echo "$s $e"
}
base=() tee=()
for _ in $(seq "$R"); do
	read -r a b < <(run "$T/none.sock"); base+=("$(awk -v n="$N" -v a="$a" -v b="$b" 'BEGIN { print n / (b - a) }')")
	read -r a b < <(run "$T/l.sock"); tee+=("$(awk -v n="$N" -v a="$a" -v b="$b" 'BEGIN { print n / (b - a) }')")
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mb=$(med "${base[@]}"); mt=$(med "${tee[@]}")
stored=$("$B/logread" -socket "$T/q.sock" --stats 2>/dev/null | grep -o '"name":"bench.out"[^}]*"lines":[0-9]*' | grep -o '[0-9]*$' || true)
printf 'tee: %d lines x %d runs | pass-through %.0f lines/s | through memlogd %.0f lines/s (%.2f of pass-through) | stored in memlogd: %s\n' \
	"$N" "$R" "$mb" "$mt" "$(awk -v a="$mt" -v b="$mb" 'BEGIN { print a / b }')" "${stored:-?}"
