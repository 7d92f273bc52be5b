#!/usr/bin/env bash
# make demo: run lakeform on a copy of examples/quickstart.
# This release reads, checks and plans; apply arrives with the providers,
# and this script will run it then.
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

say "lakeform -C quickstart plan | tail -n 25"
"$bin" -C "$q" plan | tail -n 25

say "lakeform -C quickstart graph"
"$bin" -C "$q" graph

say "a mistake: the workspace moved to eu-west-1, its metastore did not"
sed -i 's/region: us-east-1/region: eu-west-1/' "$q/30-workspace.yaml"
"$bin" -C "$q" validate || echo "(exit status $?)"

say "lakeform apply"
"$bin" -C "$q" apply || echo "(exit status $?: apply arrives with the providers, in the next release)"
