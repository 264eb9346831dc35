# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2317
# scenario_acl: lookups/s with a 1-rule ACL against a 10,000-rule one.
#
# Two epmd_secure daemons run side by side on loopback, measured one after
# the other in ABBA order, ACL_ROUNDS rounds of ACL_SECS at each level of
# ACL_CONCURRENCY.  The 1-rule ACL is "allow 127.0.0.0/8".  The big one has
# ACL_RULES - 1 denies for other networks (IPv4, prefix lengths /8 to /32
# mixed, some limited to one request kind or to node globs; none covers
# 127.0.0.0/8), then "allow 127.0.0.0/8" last: every lookup is decided by
# the very last rule (checked: the audit record names its line).
# Both run with log_target none, so that only the ACL differs.
# Target: 10k-rule rate / 1-rule rate >= 0.95 at every level.

ACL_RULES=${ACL_RULES:-10000}
ACL_CONCURRENCY=${ACL_CONCURRENCY:-"1 16"}
ACL_ROUNDS=${ACL_ROUNDS:-5}
ACL_SECS=${ACL_SECS:-1}
TARGET_ACL_RATIO=0.95

# acl_generate N: N - 1 non-matching rules, then allow 127.0.0.0/8.
acl_generate() {
	awk -v n="$1" 'BEGIN {
		print "# bench: " n " rules; only the last one matches 127.0.0.1"
		for (i = 0; i < n - 1; i++) {
			len = 8 + (i * 7) % 25		# /8 .. /32, mixed
			o1 = 1 + (i * 13) % 222		# 1..222, never 127
			if (o1 >= 127) o1++
			rest = (i * 2654435761) % 16777216
			a = o1 * 16777216 + rest
			unit = 2 ^ (32 - len)
			a = int(a / unit) * unit	# no host bits
			addr = sprintf("%d.%d.%d.%d", int(a / 16777216),
			    int(a / 65536) % 256, int(a / 256) % 256, a % 256)
			extra = ""
			if (i % 10 == 3) extra = " port"
			else if (i % 10 == 7) extra = " names"
			else if (i % 50 == 11) extra = " port node rabbit* couch?b"
			print "deny " addr "/" len extra
		}
		print "allow 127.0.0.0/8"
	}'
}

scenario_acl() {
	local dir=$WORK/acl c r l order line
	local -A RATES
	local ratios rows=() v ok rt lastline
	mkdir -p "$dir"
	echo "== ACL size: 1 rule vs ${ACL_RULES} rules (last rule matches), ${ACL_ROUNDS} rounds x ${ACL_SECS}s, ABBA"

	printf 'log_target none\n' | private_file "$dir/none.conf"
	printf 'log_target stderr\n' | private_file "$dir/stderr.conf"
	printf '# bench: one rule\nallow 127.0.0.0/8\n' | private_file "$dir/acl1"
	acl_generate "$ACL_RULES" | private_file "$dir/aclbig"
	secure_check "$dir/none.conf" "$dir/acl1"
	secure_check "$dir/none.conf" "$dir/aclbig"
	echo "ACL file: $(grep -c '^[ad]' "$dir/aclbig") rules, $(awk '$1 == "deny" { split($2, p, "/"); l[p[2]] = 1 } END { print length(l) }' "$dir/aclbig") distinct deny prefix lengths"

	# Which rule decides a loopback lookup under the big ACL?  One short
	# run with audit records on stderr.
	start_extra aclchk "${BIN[secure]}" -config "$dir/stderr.conf" -acl "$dir/aclbig"
	run_lookup aclchk 1 0.2
	sleep 0.2
	line=$(grep -m1 'req=PORT_PLEASE2 .*verdict=ok' "$WORK/aclchk.log")
	stop_daemon aclchk
	# Audit records name the rule by its line; the last line is the allow.
	lastline=$(wc -l <"$dir/aclbig")
	case "$line " in
	*" rule=$lastline "*) echo "check: a loopback lookup is decided by the last rule (line $lastline): ok" ;;
	*) broken "big ACL: expected rule=$lastline (the last line) in the audit record, got: ${line:-nothing}" ;;
	esac
	figure acl "lookup decided by ACL line (last line: $lastline)" \
	    "$(echo "$line" | sed -n 's/.* rule=\([0-9]*\).*/\1/p')"

	start_extra acl1 "${BIN[secure]}" -config "$dir/none.conf" -acl "$dir/acl1"
	start_extra aclbig "${BIN[secure]}" -config "$dir/none.conf" -acl "$dir/aclbig"
	for l in acl1 aclbig; do
		run_lookup "$l" 16 0.3	# warm-up
	done
	for c in $ACL_CONCURRENCY; do
		ratios=
		RATES[acl1]=; RATES[aclbig]=
		local errs=0
		for r in $(seq 1 "$ACL_ROUNDS"); do
			if [ $((r % 2)) -eq 1 ]; then order="acl1 aclbig"
			else order="aclbig acl1"; fi
			for l in $order; do
				run_lookup "$l" "$c" "$ACL_SECS"
				RATES[$l]="${RATES[$l]} $(kv "$LOOKUP" rate)"
				errs=$((errs + $(kv "$LOOKUP" errors) + $(kv "$LOOKUP" notfound)))
			done
			alive_or_broken acl1 aclbig
			ratios="$ratios $(ratio "${RATES[aclbig]##* }" "${RATES[acl1]##* }" 4)"
		done
		# shellcheck disable=SC2086
		rows+=("$c $(median ${RATES[acl1]}) $(median ${RATES[aclbig]}) $(median $ratios) $(range_of $ratios) $errs")
	done
	stop_daemon acl1
	stop_daemon aclbig

	printf '%5s | %10s %10s | %6s %11s %5s  %s\n' conc "1 rule/s" "${ACL_RULES}/s" \
	    ratio "(range)" err "target >= ${TARGET_ACL_RATIO}"
	for v in "${rows[@]}"; do
		local a b rg e
		read -r c a b rt rg e <<<"$v"
		rt=$(ratio "$rt" 1)
		ok=0; ge "$rt" "$TARGET_ACL_RATIO" && ok=1
		verdict "acl c=$c: ${ACL_RULES}-rule/1-rule ${rt} >= ${TARGET_ACL_RATIO}" "$ok"
		range_noisy "$rg" && VERDICT="$VERDICT (noisy)"
		printf '%5s | %10.0f %10.0f | %6s %11s %5s  %s\n' "$c" "$a" "$b" "$rt" "($rg)" "$e" "$VERDICT"
		figure acl "c=$c: lookups/s 1 rule / ${ACL_RULES} rules" \
		    "$(printf '%.0f / %.0f' "$a" "$b")"
		figure acl "c=$c: ratio ${ACL_RULES}/1 (round range)" "$rt ($rg)" \
		    ">= $TARGET_ACL_RATIO" "$VERDICT"
	done
	note acl "two epmd_secure (log_target none) on loopback; ${ACL_RULES}-rule ACL = $((ACL_RULES - 1)) IPv4 denies for other networks (/8../32 mixed, some scoped or with globs) then 'allow 127.0.0.0/8' last; ${ACL_ROUNDS} ABBA rounds x ${ACL_SECS}s; median of per-round ratios"
	echo "(medians of 'w 0' replies/s; ratio = median of per-round ${ACL_RULES}/1 ratios;"
	echo " both daemons: epmd_secure, log_target none, loopback, daemon on cpu 0 and loadgen on cpu 1 if pinned)"
	echo
}
