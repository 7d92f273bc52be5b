#!/usr/bin/env bash
# make demo: run lakeform on a copy of examples/quickstart.
# Validates, plans, applies with the embedded local providers (no server),
# shows what they made on disk, and plans again: no changes.
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/lakeform-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$root/examples/quickstart" "$work/quickstart"
q=$work/quickstart

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "lakeform -C quickstart validate"
"$bin" -C "$q" validate

say "lakeform -C quickstart export --json | head -n 2"
"$bin" -C "$q" export --json | head -n 2

say "lakeform -C quickstart plan | tail -n 12"
"$bin" -C "$q" plan | tail -n 12

say "lakeform -C quickstart apply --auto-approve | tail -n 4"
"$bin" -C "$q" apply --auto-approve | tail -n 4

say "what the local providers made (under quickstart/.lakeform/local)"
(cd "$q/.lakeform/local" && find . -name '*.json' ! -name '.lock' | sort)

say "lakeform -C quickstart plan --detailed-exitcode"
rc=0
"$bin" -C "$q" plan --detailed-exitcode || rc=$?
echo "(exit status $rc: 0 means no changes)"

say "behind lakeform's back: the bucket policy deleted; plan reads the real objects first"
rm "$q/.lakeform/local/storage/buckets/acme-lakehouse-default/.lakeform-policy.json"
rc=0
"$bin" -C "$q" plan --detailed-exitcode | grep -E '^Objects|^  [-~] |^Plan' || rc=$?
say "lakeform -C quickstart apply --auto-approve | tail -n 1   (heals it)"
"$bin" -C "$q" apply --auto-approve | tail -n 1

say "lakeform -C quickstart graph | head -n 8"
"$bin" -C "$q" graph | head -n 8

say "a mistake: the workspace moved to eu-west-1, its metastore did not"
sed -i 's/region: us-east-1/region: eu-west-1/' "$q/30-workspace.yaml"
"$bin" -C "$q" validate || echo "(exit status $?)"
