#!/usr/bin/env bash
# Add up the closing lines of every test layer into one line.
set -u
dir=$1
passed=0 failed=0 skipped=0 missing=0
for layer in unit cli providers integration git docker dockerd s3 s3-backend yaml schema ajv fuzz; do
	f=$dir/$layer
	if [[ ! -s $f ]]; then
		echo "$layer: did not report (counted as 1 failed)"
		missing=$((missing + 1))
		continue
	fi
	line=$(grep -E ' [0-9]+ passed' "$f" | tail -n 1)
	if [[ -z $line ]]; then
		echo "$layer: no 'N passed, N failed' line (counted as 1 failed)"
		missing=$((missing + 1))
		continue
	fi
	p=$(sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p' <<<"$line")
	x=$(sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p' <<<"$line")
	s=$(sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p' <<<"$line")
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${x:-0}))
	skipped=$((skipped + ${s:-0}))
	printf '  %-7s %s\n' "$layer" "$line"
done
failed=$((failed + missing))
if [[ $skipped -gt 0 ]]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[[ $failed -eq 0 ]]
