# checks.sh - sourced by the integration layers: one line per check and a
# closing line.  The layer sets $layer (its name in the closing line) and,
# to have a failure show the last lines of a command's output, $work and
# $last (the output is $work/$last.out), or $check_out (check sends each
# command's output there and shows its tail when it fails).
#   ok NAME                  count and print one check
#   fail NAME [LINE...]      the same for a failure, with lines saying why
#   check NAME COMMAND...    ok when the command succeeds
#   finish                   "LAYER: N passed, N failed"; exit 0 iff none failed
passed=0
failed=0
last=
ok() {
	passed=$((passed + 1))
	echo "ok   $*"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL $1"
	shift
	local line
	for line in "$@"; do echo "     $line"; done
	if [[ -n $last && -f $work/$last.out ]]; then tail -n 6 "$work/$last.out" | sed 's/^/     /'; fi
}
check() {
	local name=$1
	shift
	if [[ -n ${check_out:-} ]]; then
		if "$@" >"$check_out" 2>&1; then ok "$name"; else fail "$name" "$(tail -n 5 "$check_out")"; fi
	elif "$@"; then ok "$name"; else fail "$name"; fi
}
finish() {
	echo "$layer: $passed passed, $failed failed"
	[[ $failed -eq 0 ]]
	exit
}
