#!/usr/bin/env bash
# make bench: generate synthetic accounts and time lakeform's default
# commands on them, then the shortcuts, the executor and the protocol.
#
# For each size (LF_BENCH_SIZES, default 1000 10000 100000 resources), on
# an account of tests/bench/gen.sh applied with the local providers:
#   validate; plan with no state, without and with the 20 compliance
#   policies of policies.yaml; apply of all of it (from nothing);
#   plan right after apply (refreshing: the default); plan after a comment
#   line was added to every file; plan after 1% of the resources changed
#   (a label each); apply of that 1%; drift; then plan and apply of 1%
#   changed in their spec (tests/bench/gen.sh CHANGED=2; its plan also
#   with --incremental=false, the cost of the full path), and of the same
#   edit of the Grant files alone (privileges: their buckets' policies
#   change).  Under the rows
#   of plans after an edit, which way the plan took: the comparison of the
#   files' content with what the last apply read (edits that change no
#   content) and the plan of the changed documents alone (changes of
#   fields only the resource's own record reads: src/core/incr.h) are
#   shortcuts and say so.
# Then, labelled as such, the shortcut: plan --refresh=false on unchanged
# files (the state's fingerprint answers it).  Every row is the best of
# LF_BENCH_RUNS runs (default 3): wall seconds and peak RSS from
# /usr/bin/time, the machine's 1-minute load average (/proc/loadavg) when
# the row was measured, the growth per 10x resources, and the CPU seconds
# (user + system, lakeform and its providers) of the best run, which a
# shared machine's load moves less than the wall time.  Each size's
# account is described in bytes of YAML, files, state records and provider
# objects.  The figures are this machine's; docs/performance.md says how
# to read them.
#
# Then: 1,000 independent creates on a provider that takes 10 ms a call
# (tests/bench/sleepy) at --parallelism 50, against the ideal 0.2 s plus
# start-up; and 100,000 protocol calls (tests/bench/proto_bench), pipelined
# as apply sends them and one at a time.
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
proto=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
here=$(cd "$(dirname "$0")" && pwd)
export LAKEFORM_SCHEMA_DIR=${LAKEFORM_SCHEMA_DIR:-$(cd "$here/../../schemas" && pwd)}
work=$(mktemp -d "${TMPDIR:-/tmp}/lakeform-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# What a run leaves is moved aside, never deleted while the bench measures:
# on an ext4 file system without a journal (this machine's), the kernel
# will not reuse an inode freed in the last 60 s (300 s more while its
# inode table block is unwritten), and finding a free one means looking at
# each such inode (fs/ext4/ialloc.c, recently_deleted()).  Deleting the
# 40,000 files of one apply of all right before the next made that apply's
# file creation quadratic in the kernel: 4.5 s of the providers' CPU at
# 100,000 resources (perf), none at 10,000.  A user does not delete a state's worth of files
# before each apply; the bench deleted them before each run.  They are
# deleted when the bench ends.
# Each goes into a new directory of mktemp's naming: the runs of a row
# move theirs from a subshell, so no counter would survive them.
aside() {
	local p
	mkdir -p "$work/aside"
	for p in "$@"; do
		[[ -e $p ]] || continue
		mv "$p" "$(mktemp -d -p "$work/aside")/"
	done
}
runs=${LF_BENCH_RUNS:-3}
sizes=${LF_BENCH_SIZES:-"1000 10000 100000"}

load() { cut -d' ' -f1 /proc/loadavg; }

# best of $runs: "seconds MiB load cpu" of one command (exit 0 or 2 is
# success); LF_BENCH_BEFORE, when set, is run before each run (not timed)
measure() {
	local best_t="" best_m="" best_l="" best_c="" t m l c u sy rc
	for _ in $(seq "$runs"); do
		[[ -n ${LF_BENCH_BEFORE:-} ]] && eval "$LF_BENCH_BEFORE"
		rc=0
		l=$(load)
		/usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || rc=$?
		if [[ $rc -ne 0 && $rc -ne 2 ]]; then
			echo "bench: '$*' failed ($rc):" >&2
			tail -n 5 "$work/err" >&2
			return 1
		fi
		read -r t m u sy < <(tail -n 1 "$work/time")
		c=$(awk -v u="$u" -v s="$sy" 'BEGIN{printf "%.2f", u + s}')
		if [[ -z $best_t ]] || awk -v a="$t" -v b="$best_t" 'BEGIN{exit !(a<b)}'; then
			best_t=$t best_m=$m best_l=$l best_c=$c
		fi
	done
	echo "$best_t $((best_m / 1024)) $best_l $best_c"
}

declare -A prev
row() { # what n seconds mib load cpu
	local ratio=-
	[[ -n ${prev[$1]:-} ]] && ratio=$(awk -v a="$3" -v b="${prev[$1]}" 'BEGIN{ if (b > 0) printf "%.1f", a/b; else print "-" }')
	printf '%-44s %9s %8s %8s %9s %6s %8s\n' "$1" "$2" "$3" "$4" "$ratio" "$5" "$6"
	prev[$1]=$3
}
# path_taken DIR: which way lakeform plan took on DIR, printed under the row
# (a plan of the changed documents alone is a shortcut: it serves documents
# that differ from the last apply at most in labels, comments, a table's
# columns, some display names, grants' privileges and workspaces' users
# added)
path_taken() {
	local how
	how=$(LAKEFORM_LOG=debug "$bin" -C "$1" plan 2>&1 >/dev/null |
		sed -n 's/.*\] plan: \(.*changed documents alone\|all documents\|the state records these manifests\)\(.*\)/\1\2/p' | head -n 1) || true
	case $how in
	*"changed documents alone"*) echo "  ^ shortcut taken: ${how%%, read in*} (documents that differ at most in labels, comments, a table's columns, some display names, grants' privileges and workspaces' users added)" ;;
	"the state records these manifests"*)
		how=${how#the state records these manifests (}
		echo "  ^ shortcut taken: ${how%)} (every file parsed, its content the last apply's: the plan is the refresh's)"
		;;
	"") ;;
	*) echo "  ^ the full path: $how" ;;
	esac
}
timed() { # what n command...
	local what=$1 n=$2 t m l c
	shift 2
	read -r t m l c < <(measure "$@")
	row "$what" "$n" "$t" "$m" "$l" "$c"
}

printf 'lakeform %s on %s, %s cores; best of %s runs; load: 1-minute load average\n' \
	"$("$bin" version | cut -d' ' -f2)" "$(uname -m)" "$(nproc)" "$runs"
for n in $sizes; do
	dir=$work/acct-$n
	aside "$dir"
	"$here/gen.sh" "$n" "$dir"
	echo
	printf '%-44s %9s %8s %8s %9s %6s %8s\n' "what" "resources" "seconds" "peak MiB" "x per 10x" "load" "cpu s"
	timed "validate" "$n" "$bin" -C "$dir" validate
	LF_BENCH_BEFORE="aside '$dir/.lakeform'" timed "plan, no state" "$n" \
		"$bin" -C "$dir" plan --detailed-exitcode
	cp "$here/policies.yaml" "$dir/zz-policies.yaml"
	LF_BENCH_BEFORE="aside '$dir/.lakeform'" timed "plan, no state, 20 policies" "$n" \
		"$bin" -C "$dir" plan --detailed-exitcode
	rm "$dir/zz-policies.yaml"
	LF_BENCH_BEFORE="aside '$dir/.lakeform'" timed "apply of all (local providers)" "$n" \
		"$bin" -C "$dir" apply --auto-approve
	objects=$(grep -cE '^\{"address":"[a-z_]+\.[a-z_]+/' "$dir/.lakeform/state.json" || true)
	records=$(grep -c '^{"address"' "$dir/.lakeform/state.json" || true)
	timed "plan right after apply (refreshing)" "$n" "$bin" -C "$dir" plan --detailed-exitcode
	for f in "$dir"/*.yaml; do echo "# reviewed" >>"$f"; done
	timed "plan, a comment added to every file" "$n" "$bin" -C "$dir" plan --detailed-exitcode
	path_taken "$dir"
	"$here/gen.sh" "$n" "$dir" 1 # the same files, 1% of resources changed
	timed "plan, 1% of resources changed" "$n" "$bin" -C "$dir" plan --detailed-exitcode
	path_taken "$dir"
	# each run applies the same change to the same state and objects
	cp -a "$dir/.lakeform" "$work/before"
	LF_BENCH_BEFORE="aside '$dir/.lakeform' && cp -a '$work/before' '$dir/.lakeform'" \
		timed "apply of that 1%" "$n" "$bin" -C "$dir" apply --auto-approve
	changed=$(grep -cE ': (updated|replaced|created|destroyed)$' "$work/out" || true)
	timed "drift" "$n" "$bin" -C "$dir" drift
	timed "shortcut: plan --refresh=false, no change" "$n" \
		"$bin" -C "$dir" plan --refresh=false --detailed-exitcode
	# from the state before that apply, 1% changed in their spec instead:
	# grants gain a privilege (their buckets' policies change), tables a
	# column, comments and display names change
	aside "$dir/.lakeform" && cp -a "$work/before" "$dir/.lakeform"
	"$here/gen.sh" "$n" "$dir" 2
	timed "plan, 1% changed in their spec" "$n" "$bin" -C "$dir" plan --detailed-exitcode
	path_taken "$dir"
	# what the same edit costs where no shortcut serves it: the full path
	timed "the same, full path (--incremental=false)" "$n" \
		"$bin" -C "$dir" plan --detailed-exitcode --incremental=false
	LF_BENCH_BEFORE="aside '$dir/.lakeform' && cp -a '$work/before' '$dir/.lakeform'" \
		timed "apply of that 1% (spec)" "$n" "$bin" -C "$dir" apply --auto-approve
	spec_changed=$(grep -cE ': (updated|replaced|created|destroyed)$' "$work/out" || true)
	# the same edit of the grants alone (their privileges; the rest as
	# before): the changed-documents shortcut compiles their buckets'
	# policies again
	aside "$dir/.lakeform" && cp -a "$work/before" "$dir/.lakeform"
	"$here/gen.sh" "$n" "$work/spec-$n" 2
	"$here/gen.sh" "$n" "$dir"
	cp "$work/spec-$n"/Grant-*.yaml "$dir"/
	aside "$work/spec-$n"
	timed "plan, 1% of grants' privileges changed" "$n" "$bin" -C "$dir" plan --detailed-exitcode
	path_taken "$dir"
	LF_BENCH_BEFORE="aside '$dir/.lakeform' && cp -a '$work/before' '$dir/.lakeform'" \
		timed "apply of that (grants)" "$n" "$bin" -C "$dir" apply --auto-approve
	aside "$work/before"
	printf '  account: %s bytes of YAML in %s files; %s state records, %s provider objects; the 1%% apply changed %s, the 1%% (spec) apply %s\n' \
		"$(cat "$dir"/*.yaml | wc -c)" "$(ls "$dir"/*.yaml | wc -l)" "$records" "$objects" "$changed" "$spec_changed"
	aside "$dir"
done
echo

bindir=$(dirname "$bin")
dir=$work/sleepy
"$here/sleepy-account.sh" 1000 "$dir"
# best of $runs wall times of one apply on a fresh state; $@: extra flags
best_sleepy() {
	local best="" t
	for _ in $(seq "$runs"); do
		aside "$dir/.lakeform"
		t=$( { /usr/bin/time -f '%e' "$bin" -C "$dir" apply --auto-approve --parallelism 50 "$@" > /dev/null; } 2>&1 | tail -n 1)
		if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
	done
	echo "$best"
}
# start-up: the same command on the same manifests making one change (the
# account's bucket, one 10 ms call, taken off): loading, planning, starting
# the providers, writing the state and stopping them
one=$(best_sleepy --target account/bench)
start=$(awk -v t="$one" 'BEGIN{ printf "%.2f", t - 0.01 }')
best=$(best_sleepy)
# the 1,000 prefixes wait for the bucket and the policy for them: two
# calls more on the way than the 0.2 s of DESIGN's 1,000 independent ones
ideal=$(awk -v s="$start" 'BEGIN{ printf "%.2f", 0.2 + 0.02 + s }')
verdict=$(awk -v b="$best" -v i="$ideal" 'BEGIN{ printf "%.2fx the ideal: %s", b / i, (b <= 1.25 * i ? "within 25%" : "NOT within 25%") }')
printf '%-40s %10s   (ideal %s = 0.2 s + 0.02 s before and after + start-up %s s; %s)\n' \
	"apply, 1000 x 10 ms, parallelism 50" "$best" "$ideal" "$start" "$verdict"
aside "$dir"

# the protocol: best of $runs; pipelined is how apply's executor calls
best_proto() {
	local best="" t
	for _ in $(seq "$runs"); do
		t=$("$proto" "$bindir/lakeform-provider-sleepy" 100000 "$@")
		if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
	done
	echo "$best"
}
printf '%-40s %10s\n' "100,000 protocol calls, 64 pipelined" "$(best_proto 1 64)"
printf '%-40s %10s\n' "100,000 protocol calls, one at a time" "$(best_proto 1)"
printf '%-40s %10s\n' "100,000 protocol calls, 8 threads" "$(best_proto 8)"
