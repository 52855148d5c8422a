# Turns bench/out/results.csv (one row per run, written by scripts/bench)
# into the Markdown tables of docs/benchmarks.md, and writes the plot data
# (variable plotdat). Medians over repetitions; every ratio is taken per
# repetition between two runs made one right after the other, then the
# median of those ratios is shown. POSIX awk (runs with mawk).

function add(key, v) { cnt[key]++; vals[key, cnt[key]] = v + 0 }
function median(key,    n, i, j, a, t) {
	n = cnt[key]
	if (!n) return ""
	for (i = 1; i <= n; i++) a[i] = vals[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function pctl(key, p,    n, i, j, a, t, k) {
	n = cnt[key]
	if (!n) return ""
	for (i = 1; i <= n; i++) a[i] = vals[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	k = int(p * (n - 1) + 0.5) + 1
	return a[k]
}
function maxof(key,    n, i, m) {
	n = cnt[key]
	if (!n) return ""
	m = vals[key, 1]
	for (i = 2; i <= n; i++) if (vals[key, i] > m) m = vals[key, i]
	return m
}
function minof(key,    n, i, m) {
	n = cnt[key]
	if (!n) return ""
	m = vals[key, 1]
	for (i = 2; i <= n; i++) if (vals[key, i] < m) m = vals[key, i]
	return m
}
# "55 % (46-62)": the median and the range of a ratio over the repetitions.
function pcr(key) {
	if (!cnt[key]) return "n/a"
	if (cnt[key] == 1) return pc(median(key))
	return sprintf("%.0f %% (%.0f-%.0f)", median(key) * 100, minof(key) * 100, maxof(key) * 100)
}
function g(name) { return $(col[name]) }
function f2(v) { return v == "" ? "n/a" : sprintf("%.2f", v) }
function pc(v) { return v == "" ? "n/a" : sprintf("%.0f %%", v * 100) }
function kib(s,    n) { n = s + 0; if (s ~ /[Gg]$/) return n * 1048576; if (s ~ /[Mm]$/) return n * 1024; if (s ~ /[Kk]$/) return n; return n / 1024 }
# Verdicts: "met", or by how much it is missed.
function ge(v, t) {
	if (v == "") return "not measured"
	return v >= t ? "**met**" : sprintf("**missed** by %.0f %% of the target", (t - v) / t * 100)
}
function le(v, t, unit) {
	if (v == "") return "not measured"
	return v <= t ? "**met**" : sprintf("**missed**: %s%s over (%.0f %%)", fmtnum(v - t), unit, (v / t - 1) * 100)
}
function fmtnum(v) { return (v >= 100) ? sprintf("%.0f", v) : (v >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v)) }

NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
	ex = g("exp"); rep = g("rep"); t = g("target"); ok = g("ok")
	if (ok != "1") { bad++; badrow[bad] = $0 }
	cell = g("K") SUBSEP g("L") SUBSEP g("shape")
	if (ex == "ingest") {
		lps[t, cell, rep] = g("lines_s")
		add("lps" SUBSEP t SUBSEP cell, g("lines_s"))
		add("mbs" SUBSEP t SUBSEP cell, g("mb_s"))
		add("cpu" SUBSEP t SUBSEP cell, g("cpu_us_line"))
		if (t == "memlogd") add("hwm" SUBSEP cell, g("hwm_kb"))
		if (t == "memlogd") add("busy" SUBSEP cell, g("sched_s") / g("secs"))
		if (t == "drain") add("busyd" SUBSEP cell, g("sched_s") / g("secs"))
		if (ok != "1") badcell[cell] = 1
		if (t == "memlogd" && g("K") == 1000) add("hwm1000", g("hwm_kb"))
	} else if (ex == "follow") {
		f = g("follower")
		flps[f, cell, rep] = g("lines_s")
		fcells[f, cell] = 1
		if (g("follower") != "logread") {
			add("fdel" SUBSEP f SUBSEP cell, g("f_entries") / g("N"))
			add("fmark" SUBSEP f SUBSEP cell, g("f_markers"))
			add("fmiss" SUBSEP f SUBSEP cell, g("f_missed"))
			fruns[f, cell]++
			if (g("f_exact") == "1") fexact[f, cell]++
			allf++
			if (g("f_exact") == "1") allexact++
			if (g("f_markers") == 0) { notover++; if (g("f_entries") == g("N")) notover_full++ }
			else { over++; if (g("f_exact") == "1") over_exact++ }
		}
	} else if (ex == "rss") {
		k = g("K")
		rssk[k] = 1
		add("rssb" SUBSEP k, g("rss_before_kb"))
		add("rssa" SUBSEP k, g("rss_kb"))
		add("rsse" SUBSEP k, g("ring_entries"))
		add("rssp" SUBSEP k, (g("rss_kb") - g("rss_before_kb")) * 1024 / g("ring_entries"))
		add("rssh" SUBSEP k, g("hwm_kb") - kib(g("buffer")))
		add("rssanon" SUBSEP k, g("anon_kb"))
		add("rssfile" SUBSEP k, g("file_kb"))
		add("rssshm" SUBSEP k, g("shmem_kb"))
	} else if (ex == "latency") {
		add("l50", g("lat_p50_us")); add("l99", g("lat_p99_us")); add("lmax", g("lat_max_us"))
		add("ln", g("lat_n"))
		if (g("f_exact") != "1") latbad++
	} else if (ex == "startup") {
		add("st" SUBSEP t, g("value"))
	}
}
END {
	nK = split("1 64 1000", Ks, " "); nL = split("64 1024", Ls, " "); nS = split("bulk line", Ss, " ")
	nF = split("bench legacy logread", Fs, " ")
	fname["bench"] = "follower (v2 `dump-follow`)"
	fname["legacy"] = "follower (byte 2)"
	fname["logread"] = "`logread -F > /dev/null`"

	# Paired ratios per repetition.
	for (key in lps) {
		split(key, p, SUBSEP)
		if (p[1] != "memlogd") continue
		c = p[2] SUBSEP p[3] SUBSEP p[4]
		r = p[5]
		if ((("drain", c, r) in lps) && lps["drain", c, r] > 0)
			add("ratio" SUBSEP c, lps["memlogd", c, r] / lps["drain", c, r])
	}
	for (key in flps) {
		split(key, p, SUBSEP)
		c = p[2] SUBSEP p[3] SUBSEP p[4]
		r = p[5]
		if ((("memlogd", c, r) in lps) && lps["memlogd", c, r] > 0)
			add("fratio" SUBSEP p[1] SUBSEP c, flps[key] / lps["memlogd", c, r])
	}

	printf "Run: %s; memlogd from commit %s; %d CPUs (%s), kernel %s; %d repetition(s)%s; load generator with %d writer thread(s); %d s in all; load average %s at the start, %s at the end.\n\n", \
		date, rev, nproc, cpu, kernel, reps, quick == 1 ? " (BENCH_QUICK=1: small N, not for quoting)" : "", writers, elapsed, load_start, load_end
	if (bad) {
		printf "**%d run(s) FAILED a check** (rows with ok != 1 in `bench/out/results.csv`); their figures are not to be trusted.\n\n", bad
	}

	# ---- targets
	c1 = 1 SUBSEP 64 SUBSEP "bulk"; c1000 = 1000 SUBSEP 64 SUBSEP "bulk"
	worstcpu = ""; worstd = ""; cpulist = ""
	for (i = 1; i <= nK; i++) {
		c = Ks[i] SUBSEP 64 SUBSEP "line"
		v = median("cpu" SUBSEP "memlogd" SUBSEP c); d = median("cpu" SUBSEP "drain" SUBSEP c)
		if (v == "") continue
		cpulist = cpulist sprintf("%sK=%d: %.2f", cpulist == "" ? "" : ", ", Ks[i], v)
		if (worstcpu == "" || v > worstcpu) { worstcpu = v; worstd = d }
	}
	for (fi = 1; fi <= nF; fi++) {
		f = Fs[fi]; fworst[f] = ""
		for (i = 1; i <= nK; i++) for (j = 1; j <= nL; j++) for (s = 1; s <= nS; s++) {
			c = Ks[i] SUBSEP Ls[j] SUBSEP Ss[s]
			v = median("fratio" SUBSEP f SUBSEP c)
			if (v == "") continue
			if (fworst[f] == "" || v < fworst[f]) { fworst[f] = v; fwc[f] = sprintf("K=%d, L=%d, %s", Ks[i], Ls[j], Ss[s]) }
		}
	}
	print "### Targets (issue 3)\n"
	print "| target | LinuxKit's Go memlogd (from the issue) | measured here | verdict |"
	print "|---|---|---|---|"
	v = median("ratio" SUBSEP c1)
	printf "| ingest, 64-byte lines, large writes, 1 source: >= 25 %% of drain | 0.67 M lines/s | %s of drain (%s M lines/s) | %s |\n", pc(v), f2(median("lps" SUBSEP "memlogd" SUBSEP c1) / 1e6), ge(v, 0.25)
	v = median("ratio" SUBSEP c1000)
	printf "| ingest, 64-byte lines, large writes, 1000 sources: >= 20 %% of drain | one OS thread per source | %s of drain (%s M lines/s) | %s |\n", pc(v), f2(median("lps" SUBSEP "memlogd" SUBSEP c1000) / 1e6), ge(v, 0.20)
	printf "| daemon CPU per line, one `write()` per line (64-byte lines): <= 0.3 us | 1.75 us | %s us (worst; %s); drain needs %s us in the same runs | %s |\n", f2(worstcpu), cpulist, f2(worstd), le(worstcpu, 0.3, " us")
	v = median("rssh" SUBSEP 1000)
	printf "| RSS <= `--buffer-size` + 2 MiB with 1000 sources | | peak RSS = ring (%s) + %s MiB | %s |\n", rss_buf, v == "" ? "n/a" : sprintf("%.2f", v / 1024), le(v == "" ? "" : v / 1024, 2, " MiB")
	v = median("rssp" SUBSEP 1)
	printf "| RSS per retained 64-byte entry <= 100 bytes | 224 bytes | %s bytes | %s |\n", v == "" ? "n/a" : sprintf("%.1f", v), le(v, 100, " bytes")
	# The target is about `logread -F > /dev/null`; without build/logread,
	# our follower stands in.
	printf "| with one `logread -F > /dev/null` follower, ingest >= 50 %% of no follower | | worst cell: %s (%s) with `logread -F`; with our faster minimal follower: %s (%s) | %s |\n", \
		pc(fworst["logread"]), fwc["logread"], pc(fworst["bench"]), fwc["bench"], ge(fworst["logread"] != "" ? fworst["logread"] : fworst["bench"], 0.5)
	printf "| follower gets 100 %% when not overrun; markers add up exactly when it is | about half the lines, no marker | %d of %d runs not overrun got every line; %d of %d overrun runs: received + missed = produced exactly | %s |\n", \
		notover_full, notover, over_exact, over, (allf && allexact == allf) ? "**met**" : (allf ? "**missed**" : "not measured")
	v = median("l99")
	printf "| `write()` to follower latency at %d lines/s: p99 <= 1 ms | | p99 %s ms (p50 %s ms) | %s |\n", lat_rate, v == "" ? "n/a" : sprintf("%.3f", v / 1000), median("l50") == "" ? "n/a" : sprintf("%.3f", median("l50") / 1000), le(v == "" ? "" : v / 1000, 1, " ms")
	v = median("st" SUBSEP "memlogd")
	printf "| start-up: accepts registrations within 5 ms of exec | | %s ms (median; drain, a program that only binds: %s ms) | %s |\n", v == "" ? "n/a" : sprintf("%.2f", v / 1000), median("st" SUBSEP "drain") == "" ? "n/a" : sprintf("%.2f", median("st" SUBSEP "drain") / 1000), le(v == "" ? "" : v / 1000, 5, " ms")
	print ""

	# ---- ingest
	print "### Ingest, no follower (ring 4 MiB, the default)\n"
	print "| sources | line bytes | writes | drain M lines/s | memlogd M lines/s | memlogd MB/s | memlogd / drain (range) | memlogd CPU us/line | drain CPU us/line | memlogd busy | memlogd peak RSS MiB |"
	print "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= nK; i++) for (j = 1; j <= nL; j++) for (s = 1; s <= nS; s++) {
		c = Ks[i] SUBSEP Ls[j] SUBSEP Ss[s]
		if (!cnt["lps" SUBSEP "memlogd" SUBSEP c]) continue
		printf "| %d | %d | %s | %s | %s | %.0f | %s | %s | %s | %s | %.1f |%s\n", Ks[i], Ls[j], Ss[s] == "bulk" ? "64 KiB" : "1 per line", \
			f2(median("lps" SUBSEP "drain" SUBSEP c) / 1e6), f2(median("lps" SUBSEP "memlogd" SUBSEP c) / 1e6), \
			median("mbs" SUBSEP "memlogd" SUBSEP c), pcr("ratio" SUBSEP c), \
			f2(median("cpu" SUBSEP "memlogd" SUBSEP c)), f2(median("cpu" SUBSEP "drain" SUBSEP c)), \
			pc(median("busy" SUBSEP c)), median("hwm" SUBSEP c) / 1024, (c in badcell) ? " **check failed**" : ""
		# plot data: one block per (L, shape), rows by K
		pk = Ls[j] SUBSEP Ss[s]
		pd[pk] = pd[pk] sprintf("%d %.4f %.4f %.1f %.1f %.3f\n", Ks[i], median("lps" SUBSEP "memlogd" SUBSEP c) / 1e6, \
			median("lps" SUBSEP "drain" SUBSEP c) / 1e6, median("mbs" SUBSEP "memlogd" SUBSEP c), median("mbs" SUBSEP "drain" SUBSEP c), median("ratio" SUBSEP c))
	}
	print ""
	if (plotdat != "") {
		printf "" > plotdat
		nb = 0
		for (s = 1; s <= nS; s++) for (j = 1; j <= nL; j++) {
			pk = Ls[j] SUBSEP Ss[s]
			if (nb++) printf "\n\n" >> plotdat
			printf "# L=%d %s: K memlogd_Mlines_s drain_Mlines_s memlogd_MB_s drain_MB_s ratio\n%s", Ls[j], Ss[s], pd[pk] >> plotdat
		}
		close(plotdat)
	}

	# ---- follower
	print "### With one follower\n"
	print "| sources | line bytes | writes | follower | ingest vs. no follower (range) | lines received / produced | markers | missed (sum) | received + missed = produced |"
	print "|---:|---:|---|---|---:|---:|---:|---:|---|"
	for (i = 1; i <= nK; i++) for (j = 1; j <= nL; j++) for (s = 1; s <= nS; s++) for (fi = 1; fi <= nF; fi++) {
		c = Ks[i] SUBSEP Ls[j] SUBSEP Ss[s]; f = Fs[fi]
		if (!((f, c) in fcells)) continue
		if (f == "logread")
			printf "| %d | %d | %s | %s | %s | not counted | | | |\n", Ks[i], Ls[j], Ss[s] == "bulk" ? "64 KiB" : "1 per line", fname[f], pcr("fratio" SUBSEP f SUBSEP c)
		else
			printf "| %d | %d | %s | %s | %s | %.1f %% | %d | %d | %d of %d runs exact |\n", Ks[i], Ls[j], Ss[s] == "bulk" ? "64 KiB" : "1 per line", fname[f], \
				pcr("fratio" SUBSEP f SUBSEP c), median("fdel" SUBSEP f SUBSEP c) * 100, median("fmark" SUBSEP f SUBSEP c), \
				median("fmiss" SUBSEP f SUBSEP c), fexact[f, c] + 0, fruns[f, c]
	}
	print ""

	# ---- memory
	print "### Memory\n"
	printf "Ring of %s filled with 64-byte lines (63 bytes of message each) well past its capacity, one source or 1000 sources (round-robin):\n\n", rss_buf
	print "| sources | RSS before filling KiB | RSS after KiB | entries retained | (after - before) / entries | peak RSS - ring MiB | RssAnon / RssFile / RssShmem KiB after |"
	print "|---:|---:|---:|---:|---:|---:|---|"
	for (k = 1; k <= nK; k++) {
		if (!((Ks[k]) in rssk)) continue
		K = Ks[k]
		printf "| %d | %d | %d | %d | %.1f bytes | %.2f | %d / %d / %d |\n", K, median("rssb" SUBSEP K), median("rssa" SUBSEP K), median("rsse" SUBSEP K), \
			median("rssp" SUBSEP K), median("rssh" SUBSEP K) / 1024, median("rssanon" SUBSEP K), median("rssfile" SUBSEP K), median("rssshm" SUBSEP K)
	}
	if (cnt["hwm1000"])
		printf "\nIn the ingest matrix (4 MiB ring) memlogd's peak RSS with 1000 sources was at most %.2f MiB, the ring + %.2f MiB.\n", maxof("hwm1000") / 1024, maxof("hwm1000") / 1024 - 4
	print ""

	# ---- latency and start-up
	print "### Latency and start-up\n"
	print "| figure | median | p90 / p99 | max |"
	print "|---|---:|---:|---:|"
	if (cnt["l50"])
		printf "| `write()` -> follower, %d lines/s, 1 source, %d lines per run (medians of %d runs) | %.0f us | p99 %.0f us | %.0f us |\n", lat_rate, median("ln"), cnt["l50"], median("l50"), median("l99"), maxof("lmax")
	if (cnt["st" SUBSEP "memlogd"])
		printf "| exec -> first accepted registration, memlogd (%d starts) | %.2f ms | p90 %.2f ms | %.2f ms |\n", cnt["st" SUBSEP "memlogd"], median("st" SUBSEP "memlogd") / 1000, pctl("st" SUBSEP "memlogd", 0.9) / 1000, maxof("st" SUBSEP "memlogd") / 1000
	if (cnt["st" SUBSEP "drain"])
		printf "| exec -> first accepted registration, drain (%d starts) | %.2f ms | p90 %.2f ms | %.2f ms |\n", cnt["st" SUBSEP "drain"], median("st" SUBSEP "drain") / 1000, pctl("st" SUBSEP "drain", 0.9) / 1000, maxof("st" SUBSEP "drain") / 1000
	if (latbad) printf "\n**%d latency run(s) did not receive every line.**\n", latbad
	print ""
	print "![memlogd and drain throughput against sources and line length](bench-throughput.png)"
}
