#!/usr/bin/env bash
# Run cmocka unit test binaries; write 'unit: N passed, N failed' to $1.
# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)..." per
# binary; a binary that crashes counts as one failure more.
set -u
out=$1; shift
passed=0 failed=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for bin in "$@"; do
	log=$(mktemp)
	"$bin" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [[ $rc -ne 0 && -z ${f:-} ]]; then
		failed=$((failed + 1))
	fi
	if [[ $rc -ne 0 ]]; then
		echo "unit: $(basename "$bin") failed:"
		cat "$log"
	else
		echo "unit: $(basename "$bin"): ${p:-0} passed"
	fi
	rm -f "$log"
done
echo "unit: $passed passed, $failed failed" | tee "$out"
[[ $failed -eq 0 ]]
