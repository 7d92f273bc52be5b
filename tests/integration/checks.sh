# checks.sh - sourced by the integration layers: one line per check and a
# closing line.  The layer sets $layer (its name in the closing line) and,
# to have a failure show the last lines of a command's output, $work and
# $last (the output is $work/$last.out).
#   ok NAME / fail NAME      count and print one check
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
	echo "FAIL $*"
	if [[ -n $last && -f $work/$last.out ]]; then tail -n 6 "$work/$last.out" | sed 's/^/     /'; fi
}
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}
finish() {
	echo "$layer: $passed passed, $failed failed"
	[[ $failed -eq 0 ]]
	exit
}
