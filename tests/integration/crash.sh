#!/usr/bin/env bash
# crash.sh LAKEFORM_BINARY - the crash test of `lakeform apply`.
#
# Two versions of a synthetic account (tests/bench/gen.sh plus documents of
# this script) differ so that applying one over the other creates, updates
# and deletes, in both directions, at both levels:
#   - volumes: version a has CRASH_SWAP volumes, version b as many others
#     (each a Volume record and a storage.prefix): creates and deletes;
#   - three classic workspaces (their own bucket, network and node pool)
#     are in version b only: creates and deletes of every provider type;
#   - a classic workspace in both versions has 2 nodes in a, 3 in b, and
#     the table grants read in a and write in b: node pool and bucket
#     policy updates; catalog comments change: updates of records alone.
# The account is applied as version a, and each way is measured once on a
# copy: how long before the storage provider's first change, and how much
# its log grows in all (a line a change).
# Then, CRASH_POINTS times (default 100), the manifests switch to the other
# version, `apply --auto-approve --parallelism 8` starts, and at a point
# that steps from 0.5% to 99.5% of that apply something is killed with
# SIGKILL: the first tenth of the points by time, before the first change
# (start, manifests, state, refresh), the others by how much the storage
# provider's log has grown (the changes: a measure of progress that a
# loaded machine does not skew).  What is killed: lakeform itself with its
# providers (half the points), or one of its providers alone, lakeform
# left to notice (the other half: local-storage and local-compute, a
# quarter of the points each).  After each kill:
#   - the state is readable: `state list` exits 0, `state pull` is JSON
#     with a resources array (jq);
#   - the next apply converges: it exits 0, and a plan after it (which
#     reads every object) has no changes: nothing was lost;
#   - nothing is left behind: no *.tmp* file under .lakeform, nothing in
#     the storage provider's .staging or .trash; and one temporary of a
#     writer killed by the test (NAME.tmp.PID.RANDOM) is removed too.
# At the end, checked on disk independently of lakeform's state:
#   - every provider object the state lists exists under .lakeform/local,
#     found by the lakeform/address label it carries (none lost);
#   - nothing else there carries a lakeform/address label (no leftover
#     object, no stray temporary), and no label is on two objects;
#   - from the providers' logs (.lakeform/logs/*.log, kept in order across
#     runs): no object created again while it existed (created
#     twice without a deletion between: a duplicate), none deleted twice;
#     a provider writes its line after its change, so each provider kill
#     may leave one line out and pairs up to that many are gaps, not
#     duplicates;
#     and no create sent for an object that existed already (the
#     providers' create is idempotent and says "exists already" then;
#     lakeform must settle an interrupted create by reading, never by
#     creating again).
#
# Needs bash, coreutils, findutils, grep, sed, awk, procps (pgrep) and jq.
# Environment: CRASH_POINTS (default 100; CRASH_KILLS is its old name),
# CRASH_N (the size of gen.sh's account, default 200), CRASH_SWAP (volumes
# swapped between the versions, default 200), CRASH_TMPDIR (where the work
# directory is made: default /dev/shm when writable, else $TMPDIR or /tmp),
# CRASH_KEEP=1 keeps the work directory even when all passed.  Prints one line per check, ends with
# `crash: N passed, N failed`, and exits 0 iff none failed.
set -uo pipefail
export LC_ALL=C

lf=${1:?usage: crash.sh LAKEFORM_BINARY}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gen=$here/../bench/gen.sh
n=${CRASH_N:-200}
swap=${CRASH_SWAP:-200}
points=${CRASH_POINTS:-${CRASH_KILLS:-100}}
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

# alive PID: running or stopped, not a zombie, not gone (no process
# started: it is polled)
alive() {
	local st=
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) }
	st=${st%% *}
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

# the child of PID that runs lakeform-provider-NAME, if any
provider_of() {
	local c exe
	for c in $(pgrep -P "$1" 2>/dev/null); do
		exe=$(tr '\0' '\n' <"/proc/$c/cmdline" 2>/dev/null | head -n 1)
		[[ $exe == */lakeform-provider-$2 ]] && echo "$c" && return 0
	done
	return 1
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
	info "took $SECONDS s"
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
command -v jq >/dev/null || {
	fail "jq is needed (make deps)"
	finish
}

# ---- the two versions ---------------------------------------------------------
# on tmpfs when there is one: fdatasync there costs nothing, and a kill -9
# tests the same (what a process wrote is in the page cache, synced or
# not); on a loaded disk the syncs made the run several times longer
tmp=${CRASH_TMPDIR:-}
if [[ -z $tmp ]]; then
	tmp=${TMPDIR:-/tmp}
	[[ -d /dev/shm && -w /dev/shm ]] && tmp=/dev/shm
fi
work=$(mktemp -d "$tmp/lakeform-crash.XXXXXX")
base=$work/base
"$gen" "$n" "$base" >"$work/gen.out" 2>&1 || {
	fail "gen.sh $n failed: $(head -3 "$work/gen.out")"
	finish
}

# version DIR a|b: the manifests of one version in DIR
version() {
	local d=$1 v=$2
	rm -rf "$d"
	cp -r "$base" "$d"
	# volumes of this version only, spread over the schemas the volumes of
	# gen.sh use (each an object of the storage provider)
	awk -v V="$v" -v K="$swap" '
		BEGIN { n = 0 }
		/^  name: /     { name = $2 }
		/^  metastore: / { ms[n] = $2 }
		/^  catalog: /   { cat[n] = $2 }
		/^  schema: /    { sch[n] = $2; n++ }
		END {
			for (i = 0; i < K; i++) {
				j = i % n
				printf "---\napiVersion: lakeform/v1\nkind: Volume\nmetadata:\n  name: %s_%d\nspec:\n  metastore: %s\n  catalog: %s\n  schema: %s\n", V, i, ms[j], cat[j], sch[j]
			}
		}' "$base"/Volume-*.yaml >"$d/Volume-crash.yaml"
	# classic workspaces: one in both versions (its node pool updated),
	# three in b alone (bucket, network, node pool created and deleted)
	local nodes=2 last=0
	[[ $v == b ]] && nodes=3 last=3
	for ((w = 0; w <= last; w++)); do
		printf -- '---\napiVersion: lakeform/v1\nkind: Workspace\nmetadata:\n  name: crash-%d\nspec:\n  region: us-east-1\n  compute: classic\n  metastore: ms-us-east-1\n  storage:\n    bucket: crash-ws-%d\n  network:\n    cidr: 10.250.%d.0/24\n  node_pool: {nodes: %d}\n  users: [group:group-0]\n' \
			"$w" "$w" "$w" "$nodes"
	done >"$d/Workspace-crash.yaml"
	if [[ $v == b ]]; then
		# table grants write (a policy update), catalog comments change
		sed -i 's/^  privileges: \[SELECT\]$/  privileges: [SELECT, MODIFY]/' "$d"/Grant-*.yaml
		sed -i 's/^  comment: catalog \([0-9]*\)$/  comment: catalog \1, version b/' "$d"/Catalog-*.yaml
	fi
}
version "$work/va" a
version "$work/vb" b

# use DIR a|b: DIR's manifests become that version's (.lakeform stays)
use() {
	find "$1" -maxdepth 1 -name '*.yaml' -delete
	cp "$work/v$2"/*.yaml "$1/"
}

acct=$work/acct
mkdir -p "$acct"
use "$acct" a
for v in a b; do
	if "$lf" -C "$work/v$v" validate >"$work/validate-$v.out" 2>&1; then
		info "version $v: $(cat "$work/validate-$v.out")"
	else
		fail "version $v of the account is invalid: $(grep -c 'error' "$work/validate-$v.out") errors, first: $(head -1 "$work/validate-$v.out")"
		finish
	fi
done

# ---- the account as version a, and how long each way takes ------------------
t0=$(now_ms)
"$lf" -C "$acct" apply --auto-approve --parallelism 8 >"$work/first.out" 2>&1
rc=$?
if ((rc == 0)) && grep -q '^Apply complete' "$work/first.out"; then
	ok "version a applied with the local providers in $(ms_to_s $(($(now_ms) - t0))) s: $(grep '^Apply complete' "$work/first.out")"
else
	fail "the first apply of version a failed (exit $rc): $(grep -m3 'error' "$work/first.out")"
	finish
fi
# Progress is measured by the storage provider's log, which grows by a
# line a change (created, updated, deleted): how long before it grows
# (start, manifests, state, refresh) and by how much in all, whatever the
# machine's load.  Before each run the logs are moved to $work/logs (the
# providers append to them; the checks at the end read the whole history),
# so that the log a run writes starts empty; it is read as it grows through
# a descriptor, and the waits between reads are a read with a timeout on a
# pipe nobody writes to: polling starts no process (under load, a fork and
# exec of stat(1) took longer than the changes it was meant to see).
slog=.lakeform/logs/local-storage.log
mkdir -p "$work/logs"
exec 5<> <(:)
nap() { read -r -t "${1:-0.001}" -u 5 _; }
# rotate DIR [KEEP]: empty DIR's provider logs, appending them to
# $work/logs when KEEP; then open the storage log on descriptor 4
rotate() {
	local l
	mkdir -p "$1/.lakeform/logs"
	for l in "$1"/.lakeform/logs/*.log; do
		[[ -f $l ]] || continue
		[[ -n ${2:-} ]] && cat "$l" >>"$work/logs/$(basename "$l")"
		: >"$l"
	done
	: >>"$1/$slog"
	exec 4<"$1/$slog"
}
# grown=the bytes read from descriptor 4 so far, after reading what is new
grown=0
grow() {
	local line
	while IFS= read -r -u 4 line; do
		grown=$((grown + ${#line} + 1))
	done
	grown=$((grown + ${#line})) # a line being written: its start
}
cp -a "$acct" "$work/measure"
declare -A took first grows
for v in b a; do
	use "$work/measure" "$v"
	rotate "$work/measure"
	grown=0
	t0=$(now_ms)
	"$lf" -C "$work/measure" apply --auto-approve --parallelism 8 >"$work/measure-$v.out" 2>&1 &
	pid=$!
	current=("$pid")
	first[$v]=0
	while alive "$pid" && ((first[$v] == 0)); do
		grow
		((grown > 0)) && first[$v]=$(($(now_ms) - t0))
		nap
	done
	wait "$pid"
	rc=$?
	current=()
	took[$v]=$(($(now_ms) - t0))
	grow
	grows[$v]=$grown
	exec 4<&-
	sum=$(grep '^Apply complete' "$work/measure-$v.out")
	read -r add chg del < <(sed -n 's/.* \([0-9]*\) added, \([0-9]*\) changed, \([0-9]*\) destroyed.*/\1 \2 \3/p' <<<"$sum")
	pc=$(grep -cE '^(storage|compute)\.[a-z_]+/.*: created$' "$work/measure-$v.out")
	pu=$(grep -cE '^(storage|compute)\.[a-z_]+/.*: updated$' "$work/measure-$v.out")
	pd=$(grep -cE '^(storage|compute)\.[a-z_]+/.*: destroyed$' "$work/measure-$v.out")
	if ((rc == 0)) && ((${add:-0} > 0 && ${chg:-0} > 0 && ${del:-0} > 0 && pc > 0 && pu > 0 && pd > 0)); then
		ok "applying version $v over the other creates, updates and deletes: $(ms_to_s "${took[$v]}") s, $sum (provider objects: $pc created, $pu updated, $pd destroyed; the first after $(ms_to_s "${first[$v]}") s)"
	else
		fail "applying version $v over the other (exit $rc) is not a mix of creates, updates and deletes of provider objects: ${sum:-no summary} ($pc, $pu, $pd provider objects created, updated, destroyed)"
		finish
	fi
	if ((first[$v] == 0 || grows[$v] < 4096)); then
		fail "applying version $v: the storage provider's log was not seen growing (${grows[$v]} bytes)"
		finish
	fi
done
rm -rf "$work/measure"

# ---- the kills ------------------------------------------------------------------
journal=$acct/.lakeform/journal.jsonl
mid=0 mid_lf=0 mid_pv=0 during=0 clean=0
kill_lf=0 kill_pv=0
now=a
for ((i = 0; i < points; i++)); do
	to=b
	[[ $now == b ]] && to=a
	use "$acct" "$to"
	# 0.5% .. 99.5% of the apply, one step more each time: the first
	# tenth of the points in time before its first change (start, state,
	# manifests, refresh), the rest by how much the storage provider's log
	# grew (the changes)
	pm=$(((2 * i + 1) * 1000 / (2 * points))) # per mille
	case $((i % 8)) in
	0 | 1 | 4 | 5) victim=lakeform ;;
	2 | 3) victim=local-storage ;;
	*) victim=local-compute ;;
	esac
	k=$((i + 1))
	out=$work/kill-$k.out
	# (bash's own "Killed" notices of its jobs go to stderr: not wanted)
	exec 3>&2 2>/dev/null
	rotate "$acct" keep
	grown=0
	t0=$(now_ms)
	"$lf" -C "$acct" apply --auto-approve --parallelism 8 >"$out" 2>&1 &
	pid=$!
	current=("$pid")
	if ((pm < 100)); then
		at="$((first[$to] * pm / 100)) ms"
		sleep "$(ms_to_s $((first[$to] * pm / 100)))"
		grow
		((grown > 0)) && at="$at, past the first change"
	else
		want=$((grows[$to] * (pm - 100) / 900 + 1))
		at="storage log byte $want of ${grows[$to]}"
		seen=0
		while alive "$pid"; do
			grow
			if ((grown > 0 && seen == 0)); then
				seen=$(($(now_ms) - t0))
				# the time before the first change, as loaded
				# as the machine is now, for the next points
				first[$to]=$(((first[$to] + seen) / 2))
			fi
			((grown < want)) || break
			nap
		done
	fi
	delay=$(($(now_ms) - t0))
	exec 4<&-
	kids=()
	how="finished before the kill"
	if [[ $victim == lakeform ]]; then
		kill_lf=$((kill_lf + 1))
		# freeze it first, so that it starts no provider while we look
		if kill -STOP "$pid" 2>/dev/null && alive "$pid"; then
			how="killed mid-run"
			mid=$((mid + 1)) mid_lf=$((mid_lf + 1))
			mapfile -t kids < <(descendants "$pid")
			current+=("${kids[@]}")
			kill -9 "$pid" "${kids[@]}" 2>/dev/null
		fi
	else
		kill_pv=$((kill_pv + 1))
		if pv=$(provider_of "$pid" "$victim") && alive "$pid"; then
			how="$victim killed mid-run"
			mid=$((mid + 1)) mid_pv=$((mid_pv + 1))
			kids=("$pv")
			current+=("$pv")
			kill -9 "$pv" 2>/dev/null
		elif alive "$pid"; then
			how="$victim not running yet or any more"
		fi
	fi
	# lakeform ends (it was killed, or notices its provider's death)
	for ((w = 0; w < 3000; w++)); do
		alive "$pid" || break
		nap 0.02
	done
	if alive "$pid"; then
		fail "kill $k: lakeform still runs 60 s after $victim was killed"
		kill -9 "$pid" $(descendants "$pid") 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	exec 2>&3 3>&-
	left=()
	for ((w = 0; w < 200; w++)); do
		left=()
		for p in "${kids[@]}"; do
			alive "$p" && left+=("$p")
		done
		((${#left[@]} == 0)) && break
		nap 0.01
	done
	if ((${#left[@]})); then
		fail "kill $k: processes ${left[*]} survive SIGKILL"
		kill -9 "${left[@]}" 2>/dev/null
	fi
	current=()
	# how far it got: the journal a killed lakeform left, or what it
	# printed when a provider was killed under it (a killed lakeform's
	# output is lost in its buffer)
	jl=0 intents=0
	if [[ -f $journal ]]; then
		jl=$(wc -l <"$journal")
		intents=$(grep -c '"op":"intent"' "$journal")
	fi
	steps=$(grep -cE ': (created|updated|destroyed|replaced)$' "$out")
	[[ $how == *mid-run ]] && ((intents > 0 || steps > 0)) && during=$((during + 1))
	what="kill $k/$points of $victim at $at ($((pm / 10)).$((pm % 10))%, after $delay ms) of $now -> $to: $how (exit $rc; journal $jl records, $intents intents; $steps changes printed)"
	now=$to

	# the state is readable
	bad=()
	"$lf" -C "$acct" state list >"$work/list.out" 2>"$work/list.err" ||
		bad+=("state list exit $?: $(head -1 "$work/list.err")")
	"$lf" -C "$acct" state pull >"$work/pull.out" 2>"$work/pull.err"
	prc=$?
	if ((prc != 0)); then
		bad+=("state pull exit $prc: $(head -1 "$work/pull.err")")
	elif ! jq -e '.resources | type == "array"' "$work/pull.out" >/dev/null 2>&1; then
		bad+=("state pull is not a state in JSON")
	fi
	# the next apply converges
	"$lf" -C "$acct" apply --auto-approve --parallelism 8 >"$work/again-$k.out" 2>&1
	arc=$?
	if ((arc != 0)) || ! grep -qE '^(Apply complete|No changes)' "$work/again-$k.out"; then
		bad+=("the next apply exit $arc: $(grep -m2 'error' "$work/again-$k.out" | tr '\n' ' ')")
	fi
	"$lf" -C "$acct" plan --detailed-exitcode >"$work/plan-$k.out" 2>&1
	prc=$?
	((prc == 0)) || bad+=("a plan after it: exit $prc: $(grep -m3 -E 'error|^  [-+~]' "$work/plan-$k.out" | tr '\n' ' ')")
	# nothing left behind
	litter=$(find "$acct/.lakeform" -name '*.tmp*' 2>/dev/null; find "$acct/.lakeform/local/storage/.staging" "$acct/.lakeform/local/storage/.trash" -mindepth 1 -maxdepth 1 2>/dev/null)
	[[ -z $litter ]] || bad+=("$(echo "$litter" | wc -l) files left behind: $(echo "$litter" | sed "s|^$acct/||" | head -3 | tr '\n' ' ')")
	if ((${#bad[@]} == 0)); then
		ok "$what; state readable, the next apply converges, nothing left behind"
		clean=$((clean + 1))
	else
		fail "$what: $(printf '%s; ' "${bad[@]}")"
		# what is left must not count against the next points
		find "$acct/.lakeform" -name '*.tmp*' -delete 2>/dev/null
	fi
done
info "$mid of $points kills hit a running apply ($mid_lf of $kill_lf lakeform kills, $mid_pv of $kill_pv provider kills), $during with changes under way (intents in the journal); $clean recovered cleanly"

# ---- a dead writer's temporary ------------------------------------------------
# one planted for certain, whatever the kills hit: NAME.tmp.PID.RANDOM of a
# process killed here; the next run that takes the lock removes it
sleep 60 &
dead=$!
kill -9 "$dead"
wait "$dead" 2>/dev/null
planted="$acct/.lakeform/state.json.tmp.$dead.$RANDOM$RANDOM"
echo '{"torn' >"$planted"
"$lf" -C "$acct" apply --auto-approve --parallelism 8 >"$work/planted.out" 2>&1
rc=$?
if ((rc == 0)) && [[ ! -e $planted ]]; then
	ok "a killed writer's temporary (pid $dead) is removed by the next apply, which holds the lock"
else
	fail "a killed writer's temporary: apply exit $rc, $([[ -e $planted ]] && echo left || echo removed)"
fi

# ---- on disk ------------------------------------------------------------------
root=$acct/.lakeform/local
"$lf" -C "$acct" state list >"$work/state.list" 2>"$work/state.err" || fail "state list failed: $(head -2 "$work/state.err")"
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
	ok "every one of the $np provider objects the state lists exists on disk with its label: 0 lost"
else
	fail "$(echo "$missing" | wc -l) objects the state lists are not on disk (lost): $(echo "$missing" | head -5 | tr '\n' ' ')"
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
if [[ ! -s $work/strays ]]; then
	ok "no other file carrying a label"
else
	fail "$(wc -l <"$work/strays") other files carry a label: $(cut -f1 "$work/strays" | head -5 | tr '\n' ' ')"
fi

# ---- the providers' logs ------------------------------------------------------
# each log in the order it was written: "created"/"deleted" events per object
rotate "$acct" keep
exec 4<&-
for l in "$work"/logs/*.log; do
	sed -n "s/^\([a-z-]*\): \(created\|deleted\) \(bucket\|prefix\|network\|node pool\) '\([^']*\)'.*/\2 \1 \3 '\4'/p" "$l"
done >"$work/events"
created=$(grep -c '^created ' "$work/events")
deleted=$(grep -c '^deleted ' "$work/events")
awk '{ ev = $1; $1 = ""; key = $0
       if (ev == "created" && last[key] == "created") printf "created twice:%s\n", key
       if (ev == "deleted" && last[key] == "deleted") printf "deleted twice:%s\n", key
       last[key] = ev }' "$work/events" >"$work/twice"
# A provider writes its line after the change: one killed between the
# change and the line leaves the line out, so a deletion (or creation)
# made then shows as the next event twice in a row.  That is a gap in the
# log, not a duplicate (a create of an object that exists says "exists
# already", checked below), and each provider kill can make one at most.
pairs=$(wc -l <"$work/twice")
if ((pairs == 0)); then
	ok "0 duplicates: no object created again while it existed, none deleted twice ($created creations, $deleted deletions in the providers' logs)"
elif ((pairs <= mid_pv)); then
	ok "0 duplicates: $pairs events twice in a row, no more than the $mid_pv provider kills that can each leave one line out ($created creations, $deleted deletions): $(head -3 "$work/twice" | tr '\n' ';')"
else
	fail "$pairs duplicates, more than the $mid_pv provider kills could explain: $(head -5 "$work/twice" | tr '\n' ';')"
fi
again=$(cat "$work"/logs/*.log | grep -E " exists already for ")
if [[ -z $again ]]; then
	ok "no create sent again for an object that existed already"
else
	fail "$(echo "$again" | wc -l) creates sent for objects that existed already: $(echo "$again" | head -5 | tr '\n' ';')"
fi
finish
