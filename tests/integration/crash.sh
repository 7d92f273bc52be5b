#!/usr/bin/env bash
# crash.sh LAKEFORM_BINARY - the crash test of `lakeform apply`.
#
# Generates a synthetic account (tests/bench/gen.sh), measures how long one
# full apply of it takes (on a copy), then, 20 times in the same directory,
# starts `apply --auto-approve --parallelism 8` and kills it and its provider
# processes with SIGKILL after a delay that grows from 5% to 95% of that
# duration; after each kill `plan` must still work (exit 0 or 2).  Then an
# apply without kill must complete, the next plan must find no changes, and,
# checked on disk independently of lakeform's state:
#   - every provider object the state lists exists under .lakeform/local
#     (a bucket's .lakeform-bucket.json, a prefix's .lakeform-prefix.json, a
#     policy's .lakeform-policy.json, a network's or node pool's record),
#     found by the lakeform/address label it carries;
#   - nothing else there carries a lakeform/address label (no leftover
#     object, no stray temporary or staging file), and no label is on two
#     objects;
#   - no temporary file (NAME.tmp.PID.RANDOM) of a killed writer is left under
#     .lakeform once the last apply took the lock;
#   - from the providers' logs (.lakeform/logs/*.log, appended to across
#     runs): no object was created twice, none was deleted, and no create was
#     sent for an object that existed already (the providers' create is
#     idempotent and says "exists already" then; lakeform must settle an
#     interrupted create by reading, never by creating again).
# The providers log no creation of a policy; a policy created twice would
# show only as a "deleted"/"created" pair of its bucket.
#
# Needs bash, coreutils, grep, sed, procps (pgrep), and awk for gen.sh.
# Environment: CRASH_N (account size, default 1800: the smallest sizes
# gen.sh makes valid with a classic workspace, so every provider type -
# bucket, policy, prefix, network, node pool - is in it), CRASH_KILLS
# (default 20), CRASH_KEEP=1 keeps the work directory even when all passed.
# Prints one line per check, ends with `crash: N passed, N failed`, and exits
# 0 iff none failed.
set -uo pipefail

lf=${1:?usage: crash.sh LAKEFORM_BINARY}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gen=$here/../bench/gen.sh
n=${CRASH_N:-1800}
kills=${CRASH_KILLS:-20}
passed=0
failed=0
current=() # the pids this script started (and found under them) not yet seen dead

ok() {
	passed=$((passed + 1))
	echo "ok   - $*"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL - $*"
}
info() { echo "# $*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
ms_to_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# alive PID: running or stopped, not a zombie, not gone
alive() {
	local st
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $st && $st != Z && $st != X ]]
}

# every descendant of PID, children first found by pgrep -P
descendants() {
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}

cleanup() {
	local p
	for p in "${current[@]}"; do
		alive "$p" && kill -9 "$p" 2>/dev/null
	done
	if [[ -n ${work:-} && -d $work ]]; then
		if ((failed == 0)) && [[ ${CRASH_KEEP:-0} != 1 ]]; then
			rm -rf "$work"
		else
			echo "# work directory kept: $work" >&2
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() {
	echo "crash: $passed passed, $failed failed"
	((failed == 0))
	exit
}

[[ -x $lf ]] || {
	fail "lakeform binary '$lf' is not executable"
	finish
}
for p in local-storage local-compute; do
	if [[ ! -x $(dirname "$lf")/lakeform-provider-$p ]]; then
		fail "lakeform-provider-$p is not beside $lf"
		finish
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/lakeform-crash.XXXXXX")
acct=$work/acct
"$gen" "$n" "$acct" >"$work/gen.out" 2>&1 || {
	fail "gen.sh $n failed: $(head -3 "$work/gen.out")"
	finish
}
if "$lf" -C "$acct" validate >"$work/validate.out" 2>&1; then
	info "$(cat "$work/validate.out")"
else
	fail "gen.sh $n makes an invalid account: $(grep -c 'error' "$work/validate.out") errors, first: $(head -1 "$work/validate.out")"
	finish
fi

# ---- one full apply on a copy: it works, and how long it takes ----------
cp -a "$acct" "$work/measure"
t0=$(now_ms)
"$lf" -C "$work/measure" apply --auto-approve --parallelism 8 >"$work/measure.out" 2>&1
rc=$?
full=$(($(now_ms) - t0))
if ((rc == 0)) && grep -q '^Apply complete' "$work/measure.out"; then
	ok "a full apply of the account works with the local providers: $(ms_to_s $full) s, $(grep '^Apply complete' "$work/measure.out")"
else
	fail "a full apply of the account on a copy failed (exit $rc): $(grep -m3 'error' "$work/measure.out")"
	finish
fi
steps=$(grep -c ': created$' "$work/measure.out")
pobjs=$(grep -cE '^[a-z_]+\.[a-z_]+/.*: created$' "$work/measure.out")
info "$steps steps, $pobjs of them provider calls"

# ---- kills ----------------------------------------------------------------
journal=$acct/.lakeform/journal.jsonl
mid=0
for ((i = 0; i < kills; i++)); do
	# 5% .. 95% of the full apply, one step more each time
	if ((kills > 1)); then
		pm=$((50 + 900 * i / (kills - 1))) # per mille
	else
		pm=500
	fi
	delay=$((full * pm / 1000))
	out=$work/kill-$((i + 1)).out
	"$lf" -C "$acct" apply --auto-approve --parallelism 8 >"$out" 2>&1 &
	pid=$!
	current=("$pid")
	sleep "$(ms_to_s $delay)"
	# freeze it first, so that it starts no provider while we look for them
	kids=()
	how="finished before the kill"
	if kill -STOP "$pid" 2>/dev/null && alive "$pid"; then
		how="killed mid-run"
		mid=$((mid + 1))
		mapfile -t kids < <(descendants "$pid")
		current+=("${kids[@]}")
		kill -9 "$pid" "${kids[@]}" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	# the providers are gone too (reaped or zombies of init)
	left=()
	for ((w = 0; w < 200; w++)); do
		left=()
		for k in "${kids[@]}"; do
			alive "$k" && left+=("$k")
		done
		((${#left[@]} == 0)) && break
		sleep 0.01
	done
	if ((${#left[@]})); then
		fail "kill $((i + 1)): provider processes ${left[*]} survive SIGKILL"
		kill -9 "${left[@]}" 2>/dev/null
	fi
	current=()

	jl=0 torn=no intents=0 outcomes=0
	if [[ -f $journal ]]; then
		jl=$(wc -l <"$journal")
		[[ -s $journal && $(tail -c1 "$journal" | wc -l) -eq 0 ]] && torn=yes
		intents=$(grep -c '"op":"intent"' "$journal")
		outcomes=$(grep -cE '"op":"(outcome|failed)"' "$journal")
	fi
	"$lf" -C "$acct" plan >"$work/plan-$((i + 1)).out" 2>&1
	prc=$?
	nowarn=$(grep -c 'has no intent before it' "$work/plan-$((i + 1)).out")
	what="kill $((i + 1))/$kills at $delay ms ($((pm / 10)).$((pm % 10))%): $how (exit $rc, $((${#kids[@]})) provider processes killed; journal $jl records, $intents intents, $outcomes outcomes, torn tail: $torn; plan warned $nowarn times of an outcome without intent)"
	if ((prc == 0 || prc == 2)); then
		ok "$what; plan exit $prc"
	else
		fail "$what; plan exit $prc: $(grep -m2 'error' "$work/plan-$((i + 1)).out")"
	fi
done
info "$mid of $kills kills hit a running apply"

# ---- finish the apply -------------------------------------------------------
# what writers killed mid-write left: NAME.tmp.PID.RANDOM (lf_write_file_atomic's),
# under .lakeform; one more, of a writer killed here, so that there is one
# whatever the kills hit
tmps=$(find "$acct/.lakeform" -name '*.tmp.[0-9]*' | wc -l)
sleep 60 &
dead=$!
kill -9 "$dead"
wait "$dead" 2>/dev/null
echo '{"torn' >"$acct/.lakeform/state.json.tmp.$dead.$RANDOM$RANDOM"
info "$tmps temporary files of killed writers under .lakeform before the last apply, and one planted (pid $dead, killed)"
done_ok=0
for try in 1 2 3; do
	"$lf" -C "$acct" apply --auto-approve --parallelism 8 >"$work/final-$try.out" 2>&1
	rc=$?
	if ((rc == 0)) && grep -qE '^(Apply complete|No changes)' "$work/final-$try.out"; then
		done_ok=1
		break
	fi
done
if ((done_ok)); then
	ok "apply without kill completes (try $try: $(grep -m1 -E '^(Apply complete|No changes)' "$work/final-$try.out"))"
else
	fail "apply without kill does not complete in 3 tries (exit $rc): $(grep -m3 'error' "$work/final-$try.out")"
fi
left=$(find "$acct/.lakeform" -name '*.tmp.[0-9]*')
if [[ -z $left ]]; then
	ok "the apply that holds the lock removed every temporary file of a killed writer ($((tmps + 1)))"
else
	fail "temporary files of killed writers left: $(echo "$left" | head -3 | tr '\n' ' ')"
fi
"$lf" -C "$acct" plan --detailed-exitcode >"$work/plan-final.out" 2>&1
rc=$?
if ((rc == 0)); then
	ok "plan --detailed-exitcode after it: exit 0, no changes"
else
	fail "plan --detailed-exitcode after it: exit $rc: $(grep -m3 -E 'error|^  [-+~]|will be' "$work/plan-final.out")"
fi

# ---- on disk ------------------------------------------------------------------
root=$acct/.lakeform/local
"$lf" -C "$acct" state list >"$work/state.list" 2>"$work/state.err" || fail "state list failed: $(head -2 "$work/state.err")"
# lakeform records a manifest resource by an outcome alone, and every load
# of a journal holding such records warns of "an outcome without intent":
# noise, reported, not failed
if grep -q . "$work/state.err"; then
	info "state list warns $(grep -c . "$work/state.err") times, first: $(head -1 "$work/state.err")"
fi
# provider resources are family.type/name
grep -E '^[a-z_]+\.[a-z_]+/' "$work/state.list" | sort >"$work/state.provider"

# every file carrying a label: "path<TAB>address"
: >"$work/objects" # label <TAB> path, for the objects
: >"$work/strays"  # path <TAB> label, for anything else
grep -r -o '"lakeform/address": *"[^"]*"' "$root" 2>/dev/null |
	while IFS= read -r line; do
		path=${line%:\"lakeform/address\"*}
		label=${line#"$path:"}
		label=${label#*: }
		label=${label#*\"}
		label=${label%\"}
		rel=${path#"$root"/}
		case $rel in
		storage/.staging/* | storage/.trash/*) kind=stray ;;
		storage/buckets/*/*/*/.lakeform-prefix.json | storage/buckets/*/*/.lakeform-prefix.json) kind=object ;;
		storage/buckets/*/.lakeform-bucket.json | storage/buckets/*/.lakeform-policy.json) kind=object ;;
		compute/networks/*.json | compute/node_pools/*.json)
			name=${rel#compute/*/}
			[[ $name == */* || $name == .* ]] && kind=stray || kind=object
			;;
		*) kind=stray ;;
		esac
		if [[ $kind == object ]]; then
			printf '%s\t%s\n' "$label" "$rel" >>"$work/objects"
		else
			printf '%s\t%s\n' "$rel" "$label" >>"$work/strays"
		fi
	done
cut -f1 "$work/objects" | sort >"$work/disk.labels"
sort -u "$work/disk.labels" >"$work/disk.provider"

np=$(wc -l <"$work/state.provider")
nd=$(wc -l <"$work/disk.labels")
missing=$(comm -23 "$work/state.provider" "$work/disk.provider")
if [[ -z $missing ]]; then
	ok "every one of the $np provider objects the state lists exists on disk with its label"
else
	fail "$(echo "$missing" | wc -l) objects the state lists are not on disk: $(echo "$missing" | head -5 | tr '\n' ' ')"
fi
extra=$(comm -13 "$work/state.provider" "$work/disk.provider")
if [[ -z $extra ]]; then
	ok "no object on disk that the state does not list ($nd labelled objects)"
else
	fail "$(echo "$extra" | wc -l) leftover objects on disk the state does not list: $(echo "$extra" | head -5 | while read -r a; do grep -m1 -F "$a	" "$work/objects" | cut -f2; done | tr '\n' ' ')"
fi
dups=$(uniq -d "$work/disk.labels")
if [[ -z $dups ]]; then
	ok "no label is on two objects"
else
	fail "labels on more than one object: $(echo "$dups" | head -5 | while read -r a; do grep -F "$a	" "$work/objects" | cut -f2; done | tr '\n' ' ')"
fi
# What a provider killed mid-write leaves: the temporary of a record
# (NAME.tmp.PID.RANDOM, never read as a record, removed by nobody) and a bucket
# assembled in .staging (removed the next time the provider takes its lock).
# They are not objects: reported, not failed.  A labelled file anywhere else
# is a leftover.
litter=$(cut -f1 "$work/strays" | grep -E '(^storage/(\.staging|\.trash)/|\.tmp\.[0-9]+(\.[0-9]+)?$)')
others=$(cut -f1 "$work/strays" | grep -vE '(^storage/(\.staging|\.trash)/|\.tmp\.[0-9]+(\.[0-9]+)?$)')
if [[ -n $litter ]]; then
	info "$(echo "$litter" | wc -l) temporary files of killed providers carry a label (not objects): $(echo "$litter" | head -3 | tr '\n' ' ')"
fi
if [[ -z $others ]]; then
	ok "no other file carrying a label"
else
	fail "$(echo "$others" | wc -l) other files carry a label: $(echo "$others" | head -5 | tr '\n' ' ')"
fi

# ---- the providers' logs ------------------------------------------------------
logs=("$acct"/.lakeform/logs/*.log)
cat "${logs[@]}" 2>/dev/null >"$work/logs.all"
sed -n "s/^\([a-z-]*\): created \([a-z ]*\) '\([^']*\)'.*/\1 \2 '\3'/p" "$work/logs.all" | sort >"$work/created"
twice=$(uniq -d "$work/created")
if [[ -z $twice ]]; then
	ok "no object created twice across all runs ($(wc -l <"$work/created") 'created' lines in the providers' logs)"
else
	fail "created more than once: $(uniq -c "$work/created" | grep -v '^ *1 ' | head -5 | sed 's/^ *//' | tr '\n' ';')"
fi
deleted=$(grep -E "^[a-z-]+: deleted " "$work/logs.all")
if [[ -z $deleted ]]; then
	ok "no object deleted across all runs"
else
	fail "$(echo "$deleted" | wc -l) objects deleted: $(echo "$deleted" | head -5 | tr '\n' ';')"
fi
again=$(grep -E " exists already for " "$work/logs.all")
if [[ -z $again ]]; then
	ok "no create sent again for an object that existed already"
else
	fail "$(echo "$again" | wc -l) creates sent for objects that existed already: $(echo "$again" | head -5 | tr '\n' ';')"
fi
# what the logs say was created exists (or was never logged: a kill between
# the creation and its log line)
notthere=0
while IFS= read -r l; do
	kind=${l#* }
	kind=${kind%% \'*}
	name=${l#*\'}
	name=${name%\'}
	case $kind in
	bucket) f=$root/storage/buckets/$name/.lakeform-bucket.json ;;
	prefix) f=$root/storage/buckets/$name.lakeform-prefix.json ;;
	network) f=$root/compute/networks/$name.json ;;
	"node pool") f=$root/compute/node_pools/$name.json ;;
	*) continue ;;
	esac
	[[ -f $f ]] || {
		notthere=$((notthere + 1))
		info "logged as created but not on disk: $l"
	}
done <"$work/created"
if ((notthere == 0)); then
	ok "every object the logs say was created is on disk"
else
	fail "$notthere objects the logs say were created are not on disk"
fi
info "took $SECONDS s"
finish
