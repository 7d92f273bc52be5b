#!/usr/bin/env bash
# run.sh TSAN_BIN_DIR - lakeform and its local providers built with
# ThreadSanitizer (make test-tsan builds them into build/tsan/bin): the
# threads that read provider answers, run provider calls, digest and
# compact policies, write plans and states, checked for data races.
#
#   - the providers layer (tests/providers/local/run.sh) run against the
#     ThreadSanitizer providers: it passes and no race is reported;
#   - apply, the refreshing plan, drift, plans (text and JSON) and applies
#     of 1% changed in their labels, in their grants' privileges and in
#     their spec, of a generated account of 2,000 resources
#     (tests/bench/gen.sh): each succeeds and no race is reported by
#     lakeform or a provider (the refresh runs on a thread of its own while
#     the documents are read, bucket policies are compiled on both cores).
#
# A report names the race's two stacks; the check that saw it fails and
# shows the report's first lines.  One line per check; the last line is
# `tsan: N passed, N failed`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
layer=tsan
work=$(mktemp -d "${TMPDIR:-/tmp}/lakeform-tsan.XXXXXX")
trap 'rm -rf "$work"' EXIT
# shellcheck source=../integration/checks.sh
. "$top/tests/integration/checks.sh"

bindir=$(cd "${1:?usage: run.sh TSAN_BIN_DIR}" 2>/dev/null && pwd) || {
	fail "no directory '$1'"
	finish
}
lf=$bindir/lakeform
# ThreadSanitizer cannot map its shadow memory under some kernels' address
# randomisation ("unexpected memory mapping"): there, run without it
if ! "$lf" version >"$work/probe" 2>&1 && grep -q 'unexpected memory mapping' "$work/probe" &&
	[[ -z ${LF_TSAN_NORANDOM:-} ]]; then
	rm -rf "$work"
	LF_TSAN_NORANDOM=1 exec setarch "$(uname -m)" -R "$0" "$@"
fi
export LAKEFORM_SCHEMA_DIR=$top/schemas
reports=$work/reports
mkdir -p "$reports"
# every process writes its reports to reports/race.PID and goes on
export TSAN_OPTIONS="log_path=$reports/race halt_on_error=0 second_deadlock_stack=1"

# no_race NAME: ok when no process wrote a report since the last call
no_race() {
	local files
	files=$(ls "$reports")
	if [[ -z $files ]]; then
		ok "$1: no data race"
	else
		fail "$1: ThreadSanitizer reported" \
			"$(cat "$reports"/* | grep -E '^WARNING|^    #[0-3] ' | head -n 12)"
		mkdir -p "$work/seen" && mv "$reports"/* "$work/seen"/
	fi
}

# ---- the providers layer, against the ThreadSanitizer providers ------------
if LF_PROVIDER_DIR=$bindir "$top/tests/providers/local/run.sh" >"$work/providers.out" 2>&1; then
	ok "providers layer under ThreadSanitizer: $(tail -n 1 "$work/providers.out")"
else
	fail "providers layer under ThreadSanitizer" "$(grep -E '^FAIL|passed' "$work/providers.out" | head -n 6)"
fi
no_race "providers layer"

# ---- a generated account, the default commands -----------------------------
acct=$work/account
"$top/tests/bench/gen.sh" 2000 "$acct"
run() { # NAME EXPECTED_RC ARGS...: lakeform -C account ARGS, its exit code checked
	local name=$1 want=$2 rc
	shift 2
	"$lf" -C "$acct" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	if [[ $rc -eq $want ]]; then
		ok "$name: exit $rc"
	else
		fail "$name: exit $rc, expected $want" "$(tail -n 4 "$work/err")"
	fi
	no_race "$name"
}
run "apply of 2,000 resources" 0 apply --auto-approve
run "plan right after (refreshing)" 0 plan --detailed-exitcode
run "drift" 0 drift
"$top/tests/bench/gen.sh" 2000 "$acct" 1
run "plan of 1% changed" 2 plan --detailed-exitcode
run "JSON plan of 1% changed" 2 plan --json --detailed-exitcode
run "apply of 1% changed" 0 apply --auto-approve
run "plan after that apply" 0 plan --detailed-exitcode
# that was the plan of the changed documents alone (labels), its refresh
# on a thread of its own meanwhile; so is a change of grants' privileges,
# whose policies are compiled on both cores
"$top/tests/bench/gen.sh" 2000 "$work/spec" 2
cp "$work"/spec/Grant-*.yaml "$acct"/
run "plan of grants' privileges changed" 2 plan --detailed-exitcode
grep -q 'storage.policy/' "$work/out" && ok "that plan changes bucket policies" ||
	fail "that plan changes no bucket policy"
run "apply of grants' privileges changed" 0 apply --auto-approve
run "plan after that apply (grants)" 0 plan --detailed-exitcode
# the rest of a change of the spec takes the full path, whose records are
# compared on every core (its refresh meanwhile too)
"$top/tests/bench/gen.sh" 2000 "$acct" 2
run "plan of 1% changed in their spec" 2 plan --detailed-exitcode
run "JSON plan of 1% changed in their spec" 2 plan --json --detailed-exitcode
run "apply of 1% changed in their spec" 0 apply --auto-approve
run "plan after that apply (spec)" 0 plan --detailed-exitcode
finish
