#!/usr/bin/env bash
# Make DIR: examples/multi-region with its state recorded as applied, then
# edited as a pull request would: a classic workspace's network moves to
# another CIDR (its network and node pool are replaced, the workspace
# updated) and its node pool grows, and a volume and its grant are removed
# (deleted, with the volume's storage prefix).  The plan comment of the
# docs' screenshot and of the markdown tests is planned from it.
#   usage: scripts/comment-example.sh DIR MKSTATE
set -euo pipefail
dir=${1:?usage: comment-example.sh DIR MKSTATE}
mkstate=${2:?usage: comment-example.sh DIR MKSTATE}
repo=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$dir"
cp -r "$repo/examples/multi-region" "$dir"
LAKEFORM_SCHEMA_DIR=${LAKEFORM_SCHEMA_DIR:-$repo/schemas} "$mkstate" "$dir" >/dev/null
sed -i 's#cidr: 10.20.0.0/16#cidr: 10.20.0.0/17#; s/nodes: 2/nodes: 3/' "$dir/31-workspaces-eu.yaml"
# the last document of 50-tables.yaml is the volume 'dropzone'; the grant
# on it is the one naming 'main.landing.dropzone'
awk 'BEGIN { RS = "\n---\n"; ORS = "" } !/name: dropzone/ { printf "%s%s", (n++ ? "\n---\n" : ""), $0 } END { print "\n" }' \
	"$dir/50-tables.yaml" >"$dir/50-tables.yaml.new"
awk 'BEGIN { RS = "\n---\n"; ORS = "" } !/main\.landing\.dropzone/ { printf "%s%s", (n++ ? "\n---\n" : ""), $0 } END { print "\n" }' \
	"$dir/60-grants.yaml" >"$dir/60-grants.yaml.new"
mv "$dir/50-tables.yaml.new" "$dir/50-tables.yaml"
mv "$dir/60-grants.yaml.new" "$dir/60-grants.yaml"
# a commit to plan at, the same one every time (fixed names and dates)
printf '.lakeform/\n' >"$dir/.gitignore"
export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.com GIT_AUTHOR_DATE='2026-01-02T03:04:05Z'
export GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.com GIT_COMMITTER_DATE='2026-01-02T03:04:05Z'
git -C "$dir" init -q -b pr
git -C "$dir" add -A
git -C "$dir" -c commit.gpgsign=false commit -q -m "move ingest-eu to 10.21.0.0/16, drop the dropzone volume"
