#!/usr/bin/env bash
# run.sh LAKEFORM_BINARY - lakeform reading manifests from git commits.
#
# Makes real repositories with the git CLI in a scratch directory (history:
# a first commit tagged light and annotated, a feature branch changing the
# catalog, a commit on main adding a group, a merge commit), then reads them
# with --git REPO@REV[:PATH] and checks what lakeform prints against what git
# itself says: `git rev-parse` for commit ids, `git archive` checkouts for the
# manifests (export through --git must equal export of the checkout, byte
# for byte).  The same is done on a copy whose objects are all in packs
# (gc --aggressive, repack -a -d) and on a bare clone.  Then the errors (exit
# 1, or 64 for a malformed spec), positions in diagnostics of files read
# from git, the commit recorded by plan and apply, saved plans, and
# plan --changed-since across commits.
#
# Needs bash, git, coreutils, awk, node (to read plan JSON).  The providers are
# found beside LAKEFORM_BINARY.  GIT_KEEP=1 keeps the scratch directory.
# Prints one line per check (`ok   NAME` / `FAIL NAME`), ends with
# `git: N passed, N failed`, and exits 0 iff none failed.
set -uo pipefail

lf=${1:?usage: run.sh LAKEFORM_BINARY}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
export LAKEFORM_SCHEMA_DIR=${LAKEFORM_SCHEMA_DIR:-$top/schemas}
export NO_COLOR=1 LC_ALL=C
# the user's git configuration must not change what the repositories hold
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
passed=0
failed=0

# /var/tmp: /tmp may lie inside a repository of its own on shared machines
base=${LF_GIT_TMP:-/var/tmp}
[[ -d $base && -w $base ]] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/lakeform-git.XXXXXX")
cleanup() {
	if ((failed == 0)) && [[ ${GIT_KEEP:-0} != 1 ]]; then
		rm -rf "$work"
	else
		echo "# scratch directory kept: $work" >&2
	fi
}
trap cleanup EXIT

ok() {
	passed=$((passed + 1))
	echo "ok   $1"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL $1"
	[[ -n ${2:-} ]] && sed 's/^/#   /' <<<"$2" | head -n 15
}
# check NAME COMMAND...: passes when COMMAND succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}
# run lakeform, keeping stdout, stderr and status in $out, $err, $rc
run() {
	out=$("$lf" "$@" 2>"$work/stderr")
	rc=$?
	err=$(cat "$work/stderr")
}
# expect NAME RC PATTERN: the last run exited RC and stdout+stderr hold PATTERN
expect() {
	if [[ $rc == "$2" ]] && grep -qE -- "$3" <<<"$out"$'\n'"$err"; then
		ok "$1"
	else
		fail "$1" "rc=$rc (want $2), want /$3/; stdout: ${out:0:400}; stderr: $err"
	fi
}
# the git_commit of a plan (JSON on stdin, compact or indented)
commit_of() { grep -o '"git_commit": *"[0-9a-f]*"' | head -n 1 | sed 's/.*"\([0-9a-f]*\)"$/\1/'; }
g() { git -C "$repo" "$@"; }

# ---- the history -------------------------------------------------------
repo=$work/repo
git init -q -b main "$repo"
g config user.name "lakeform tests"
g config user.email tests@lakeform.invalid
mkdir -p "$repo/config"
cp "$top"/examples/quickstart/*.yaml "$repo/config/"
echo "# the lakehouse" >"$repo/README.md"
g add -A && g commit -qm "quickstart"
c1=$(g rev-parse HEAD)
g tag v1
g tag -a v1-ann -m "first release"

g checkout -q -b feature
sed -i 's/^  comment: Sales data, from raw events to curated reports$/  comment: Sales data, second edition/' \
	"$repo/config/40-catalog.yaml"
g commit -qam "catalog comment"
c_feature=$(g rev-parse HEAD)

g checkout -q main
cat >"$repo/config/60-finance.yaml" <<'EOF'
apiVersion: lakeform/v1
kind: Group
metadata:
  name: finance
spec:
  display_name: Finance
  members: ["user:bob@acme.com"]
EOF
g add -A && g commit -qm "finance group"
c3=$(g rev-parse HEAD)
g merge -q --no-ff -m "merge feature" feature
c_merge=$(g rev-parse HEAD)

# the manifests of a commit as git checks them out, for comparisons
checkout_of() { # REV DIR
	rm -rf "$2" && mkdir -p "$2" && git -C "$repo" archive "$1" config | tar -x -C "$2"
}
export_of_checkout() { # REV
	checkout_of "$1" "$work/co"
	(cd "$work/co/config" && "$lf" export)
}

# ---- reading revisions -------------------------------------------------
cd "$work" || exit 1
run validate --git repo@main:config
expect "validate main:config (the merge)" 0 '^valid: 18 resources in 7 files'
run validate --git repo@v1:config
expect "validate a light tag" 0 '^valid: 17 resources in 6 files'
run validate --git repo@v1-ann:config
expect "validate an annotated tag" 0 '^valid: 17 resources in 6 files'
run validate --git "repo@${c3}:config"
expect "validate a full commit id" 0 '^valid: 18 resources in 7 files'
run validate --git "repo@${c_feature:0:7}:config"
expect "validate an abbreviated commit id" 0 '^valid: 17 resources in 6 files'
run validate --git "repo@main^2:config"
expect "validate the merge's second parent (main^2)" 0 '^valid: 17 resources in 6 files'
run validate --git "repo@main~1:/config/"
expect "validate main~1 with a PATH written /config/" 0 '^valid: 18 resources in 7 files'
run validate --git repo@main
expect "validate the repository root (README.md is no manifest)" 0 '^valid: 18 resources'

for rev in main v1 v1-ann feature; do
	want=$(export_of_checkout "$rev")
	run export --git "repo@$rev:config"
	if [[ $rc == 0 && "$out" == "$want" ]]; then
		ok "export of $rev equals export of its git archive"
	else
		fail "export of $rev equals export of its git archive" "rc=$rc $err"
	fi
done
run export --git repo@main:config
check "the merge holds the feature's catalog comment" grep -q 'Sales data, second edition' <<<"$out"
check "the merge holds main's finance group" grep -q '"name":"finance"' <<<"$out"

# plan records the commit read, not the HEAD of the directory it runs in
mkdir -p "$work/plain"
cd "$work/plain" || exit 1
run plan --json --git ../repo@v1-ann:config
got=$(commit_of <<<"$out")
if [[ $rc == 0 && $got == "$(g rev-parse 'v1-ann^{commit}')" ]]; then
	ok "plan --json records the annotated tag's commit"
else
	fail "plan --json records the annotated tag's commit" "rc=$rc got=$got $err"
fi
run plan --json -C ../repo/config --git ..@feature:config
got=$(commit_of <<<"$out")
if [[ $rc == 0 && $got == "$c_feature" && $got != "$(g rev-parse HEAD)" ]]; then
	ok "plan --git in a work tree records --git's commit, not HEAD"
else
	fail "plan --git in a work tree records --git's commit, not HEAD" "rc=$rc got=$got $err"
fi
check "plan --git wrote the state directory nowhere but -C" test ! -e "$repo/config/.lakeform/state.json"
cd "$work" || exit 1

# ---- packed and bare repositories ----------------------------------------
git clone -q --no-local "$repo" "$work/packed"
git -C "$work/packed" gc -q --aggressive
git -C "$work/packed" repack -q -a -d
loose=$(find "$work/packed/.git/objects" -type f ! -path '*/pack/*' ! -path '*/info/*' | wc -l)
check "the packed copy has no loose object" test "$loose" -eq 0
want=$(export_of_checkout "$c_merge")
run export --git "packed@${c_merge}:config"
check "export from packs equals the checkout" test "$rc" -eq 0 -a "$out" == "$want"
run validate --git packed@origin/feature:config
expect "a remote-tracking branch of the packed copy" 0 '^valid: 17 resources'

git clone -q --bare "$repo" "$work/bare.git"
run export --git "bare.git@main:config"
check "export from a bare clone equals the checkout" test "$rc" -eq 0 -a "$out" == "$want"
run validate --git bare.git@v1-ann:config
expect "an annotated tag of a bare clone" 0 '^valid: 17 resources'
run plan --json --git "$work/bare.git@v1:config"
got=$(commit_of <<<"$out")
check "plan from a bare clone (absolute path) records v1's commit" test "$got" == "$c1"

# ---- errors ---------------------------------------------------------------
mkdir -p "$work/notrepo"
run validate --git notrepo@main
expect "not a repository: exit 1" 1 "'notrepo' is not a git repository"
run validate --git nowhere@main
expect "no such directory: exit 1" 1 "no repository 'nowhere': no such directory"
run validate --git repo@no-such-branch:config
expect "unknown revision: exit 1" 1 "unknown revision 'no-such-branch' in 'repo'"
run validate --git repo@main:nodir
expect "path not in the tree: exit 1" 1 "no 'nodir' in the tree of 'main'"
run validate --git repo@v1:config/00-account.yaml
expect "path is a file: exit 1" 1 "is not a directory"
run validate --git "repo@$(g rev-parse 'main^{tree}')"
expect "a tree id is not a commit: exit 1" 1 "names a tree, not a commit"
run validate --git repo
expect "no '@': usage error 64" 64 "is not REPO@REV"
run validate --git repo@
expect "nothing after '@': usage error 64" 64 "no revision after '@'"
run validate --git @main
expect "nothing before '@': usage error 64" 64 "no repository before '@'"
run validate --git repo@main:../etc
expect "'..' in PATH: usage error 64" 64 "may not climb out"
mkdir -p "$work/x" "$work/x@y"
run validate --git x@y@main
expect "REPO@REV ambiguous, both splits are directories: 64" 64 "is ambiguous"
git init -q -b main "$work/at@dir"
mkdir -p "$work/at@dir/config"
cp "$top"/examples/quickstart/*.yaml "$work/at@dir/config/"
git -C "$work/at@dir" add -A
git -C "$work/at@dir" -c user.name=t -c user.email=t@t commit -qm one
run validate --git at@dir@main:config
expect "a repository path holding '@' is found" 0 '^valid: 17 resources'
run state list --git repo@main
expect "--git on a command that reads no manifests: 64" 64 "does not apply to 'state'"
run validate --git repo@main:config config
expect "--git and a PATH argument: 64" 64 "not as an argument"

# a repository of another user: refused as git refuses it, until trusted
if [[ $(id -u) == 0 ]] && id nobody >/dev/null 2>&1; then
	git clone -q --bare "$repo" "$work/theirs.git"
	chown -R nobody "$work/theirs.git"
	run validate --git theirs.git@v1:config
	expect "a repository of another user: the safe.directory advice" 1 \
		"belongs to another user .*safe.directory '$work/theirs.git'"
	mkdir -p "$work/trusting"
	printf '[safe]\n\tdirectory = %s\n' "$work/theirs.git" >"$work/trusting/.gitconfig"
	out=$(HOME=$work/trusting "$lf" validate --git "$work/theirs.git@v1:config" 2>&1)
	rc=$?
	err=
	expect "... read once safe.directory names it" 0 '^valid: 17 resources'
else
	echo "skip a repository of another user (needs root to chown)"
fi

# an abbreviated id that two objects share: made by adding blobs until
# two ids agree on their first 4 hex digits (about 300 are needed)
amb=$work/amb
git init -q -b main "$amb"
for i in $(seq 1 1500); do echo "blob $i"; done >"$work/blobs"
split -l 1 -a 4 "$work/blobs" "$work/blob."
git -C "$amb" hash-object -w "$work"/blob.* >"$work/ids"
prefix=$(cut -c1-4 "$work/ids" | sort | uniq -d | head -n 1)
run validate --git "amb@$prefix"
expect "ambiguous abbreviated id ($prefix): exit 1" 1 "revision '$prefix' is ambiguous"

# ---- positions and settings from git ---------------------------------------
g checkout -q -b broken main
printf 'apiVersion: lakeform/v1\nkind: Catalog\nmetadata:\n  name: Bad Name\nspec:\n  metastore: main-use1\n' \
	>"$repo/config/70-bad.yaml"
printf 'backend: {type: local}\nprovidres: {}\n' >"$repo/config/lakeform.yaml"
g add -A && g commit -qm broken
g checkout -q main
run validate --git repo@broken:config
expect "an error in a file from git has its tree path and LINE:COL" 1 \
	'^lakeform: error: config/70-bad.yaml:4:9: metadata.name'
run plan --git repo@broken:config
expect "plan --git reads lakeform.yaml of the commit too (the backend is chosen there)" 1 \
	"config/lakeform.yaml:2:[0-9]+: unknown setting 'providres'"
# the same problem, found in a checkout of the commit, at the same place
checkout_of broken "$work/co-broken"
ondisk=$(cd "$work/co-broken/config" && "$lf" apply --auto-approve 2>&1 >/dev/null | grep providres)
cd "$work/plain" || exit 1
run apply --auto-approve --git ../repo@broken:config
expect "apply --git reads lakeform.yaml of the commit" 1 \
	"^lakeform: error: config/lakeform.yaml:2:[0-9]+: unknown setting 'providres'"
if [[ -n $ondisk && $err == *"config/${ondisk#lakeform: error: }"* ]]; then
	ok "... at the position a checkout gives"
else
	fail "... at the position a checkout gives" "disk: $ondisk; git: $err"
fi
check "a refused apply wrote no state" test ! -e "$work/plain/.lakeform/state.json"
cd "$work" || exit 1

# ---- apply records the commit; saved plans -------------------------------------
ws=$work/ws
mkdir -p "$ws"
cd "$ws" || exit 1
run apply --auto-approve --git ../repo@v1:config
expect "apply --git v1" 0 'Apply complete! Resources: 32 added'
run state show
expect "state show names the commit applied" 0 "^git commit: $c1\$"
run plan --detailed-exitcode --git ../repo@v1-ann:config
expect "v1-ann (the same commit) plans no change" 0 'No changes'
run plan --git ../repo@main:config -out plan.bin
expect "plan -out of main" 0 'Saved the plan'
got=$(commit_of <plan.bin)
check "the saved plan records main's commit" test "$got" == "$c_merge"
run apply plan.bin --git ../repo@main:config
expect "apply the saved plan with the same --git" 0 'Apply complete!'
run state show
expect "the state now names the merge commit" 0 "^git commit: $c_merge\$"
run plan --git ../repo@v1:config -out stale.bin
run apply --auto-approve --git ../repo@v1:config
run apply stale.bin --git ../repo@v1:config
expect "a saved plan is refused once the state moved" 1 'stale.bin: '
cd "$work" || exit 1

# a plan made from the repository applies in a checkout of PATH
git clone -q "$repo" "$work/ck"
cd "$work/ck/config" || exit 1
run plan --git "$repo@main:config" -out p.bin
run apply p.bin
expect "a plan made with --git REPO@REV:PATH applies in a checkout of PATH" 0 'Apply complete!'
run state show
expect "... and records the plan's commit" 0 "^git commit: $c_merge\$"
cd "$work" || exit 1

# ---- the pipelines of examples/gitops -------------------------------------------
# the state in a directory of its own (-C), the manifests from a clone (--git)
git clone -q "$repo" "$work/ci"
home=$work/home
mkdir -p "$home"
src="$work/ci@HEAD:config"
run -C "$home" --git "$src" validate
expect "flow: validate" 0 '^valid: 18 resources'
run -C "$home" --git "$src" plan --detailed-exitcode -out "$work/flow.bin"
expect "flow: plan --detailed-exitcode -out: 2 with changes" 2 'Saved the plan'
run -C "$home" show --markdown "$work/flow.bin"
expect "flow: show --markdown of the saved plan" 0 'catalog/main-use1/sales'
expect "flow: the comment names the commit planned" 0 \
	"\\*\\*Commit\\*\\* <code>$(git -C "$work/ci" rev-parse HEAD | cut -c1-12)</code>"
expect "flow: the comment says how to apply" 0 '^\*\*To apply:\*\* merge this pull request'
# another run holds the state lock: exit 3 at once, or wait for it
if command -v flock >/dev/null; then
	mkdir -p "$home/.lakeform"
	flock "$home/.lakeform/state.lock" sleep 4 &
	holder=$!
	sleep 0.5
	run -C "$home" --git "$src" apply "$work/flow.bin"
	expect "flow: apply while another run holds the lock: exit 3" 3 'locked by another run'
	run -C "$home" --git "$src" apply --lock-timeout 30s "$work/flow.bin"
	expect "flow: apply --lock-timeout waits for the lock" 0 'Apply complete!'
	wait "$holder"
else
	run -C "$home" --git "$src" apply --lock-timeout 30s "$work/flow.bin"
	expect "flow: apply --lock-timeout" 0 'Apply complete!'
fi
check "flow: the state is in -C, not in the clone" \
	test -s "$home/.lakeform/state.json" -a ! -e "$work/ci/config/.lakeform"
run -C "$home" --git "$src" plan --detailed-exitcode
expect "flow: the next plan has no changes" 0 'No changes'
run -C "$home" state show
expect "flow: state show names the clone's HEAD" 0 "^git commit: $(git -C "$work/ci" rev-parse HEAD)\$"
# the nightly drift job: the issue's text on stdout, the JSON in a file
run -C "$home" --git "$src" drift --markdown --report "$work/drift.json" --lock-timeout 5m
expect "flow: drift --markdown, in sync" 0 '^### lakeform drift: in sync$'
expect "flow: the drift comment names the commit" 0 \
	"\\*\\*Commit\\*\\* <code>$(git -C "$work/ci" rev-parse HEAD | cut -c1-12)</code>"
check "flow: drift --report wrote the JSON report beside it" \
	grep -q '"status": "in_sync"' "$work/drift.json"

# ---- plan --changed-since ---------------------------------------------------------
# the state of ws holds v1; main changed the catalog (merge) and added a group
cd "$ws" || exit 1
run apply --auto-approve --git ../repo@v1:config
run plan --git ../repo@main:config --changed-since v1
expect "changed-since v1: the counts" 0 \
	"^Changed since 'v1' \\(commit ${c1:0:12}\\): 1 added, 1 changed, 0 removed, 6 dependants"
expect "changed-since: the added group" 0 '^  \+ group/finance$'
expect "changed-since: the changed catalog" 0 '^  ~ catalog/main-use1/sales$'
expect "changed-since: its schemas are dependants" 0 \
	'^  > schema/main-use1/sales/raw \(needs catalog/main-use1/sales\)$'
expect "changed-since: grants on the catalog are dependants" 0 \
	'^  > grant/analysts-use-sales \(needs catalog/main-use1/sales\)$'
expect "changed-since: grants on its schemas, transitively" 0 \
	'^  > grant/engineers-write-raw \(needs schema/main-use1/sales/raw\)$'
list=$(sed -n '/^Changed since/,/^$/p' <<<"$out")
check "changed-since: an unrelated grant is not listed" \
	bash -c '! grep -q "engineers-create-catalog" <<<"$1"' _ "$list"
check "changed-since: identities are not listed" bash -c '! grep -q "user/" <<<"$1"' _ "$list"
expect "changed-since: the plan updates the catalog" 0 '~ catalog/main-use1/sales'
expect "changed-since: the plan creates the group" 0 '\+ group/finance'
run plan --json --git ../repo@main:config --changed-since v1
addrs=$(node -e '
	const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
	console.log(p.resource_changes.filter(c => c.change.actions.join() !== "no-op")
		.map(c => c.address).sort().join(" "));' <<<"$out" 2>/dev/null)
if [[ $rc == 0 && $addrs == "catalog/main-use1/sales group/finance" ]] && grep -q '^Changed since' <<<"$err"; then
	ok "changed-since --json: JSON on stdout, the list on stderr"
else
	fail "changed-since --json: JSON on stdout, the list on stderr" "rc=$rc addrs=$addrs"
fi
run plan --git ../repo@main:config --changed-since main
expect "changed-since the same commit: nothing to plan" 0 'Nothing to plan'
run plan --git ../repo@main:config --changed-since v1 --target group/finance
expect "changed-since with --target: usage error" 64 'chooses the targets'
run plan --git ../repo@main:config --changed-since nope
expect "changed-since an unknown revision: exit 1" 1 "unknown revision 'nope'"

# moves are no change; a removal is listed and planned as a delete
g checkout -q -b reshuffle main
g mv config/60-finance.yaml config/15-finance.yaml
# drop the document naming analysts-read-curated (documents end at '---')
awk 'BEGIN { RS = "\n---\n"; ORS = "" }
	!/name: analysts-read-curated/ { printf "%s%s", (n++ ? "\n---\n" : ""), $0 }' \
	"$repo/config/50-grants.yaml" >"$work/grants" && cp "$work/grants" "$repo/config/50-grants.yaml"
g commit -qam "move finance, drop a grant"
run plan --git ../repo@reshuffle:config --changed-since main
expect "changed-since: a removed grant is listed" 0 '^  - grant/analysts-read-curated$'
expect "changed-since: a moved document is no change" 0 '0 added, 0 changed, 1 removed, 0 dependants'
run apply --auto-approve --git ../repo@main:config
run plan --git ../repo@reshuffle:config --changed-since main
expect "changed-since: the removed grant is planned for deletion" 0 '- grant/analysts-read-curated'
cd "$work" || exit 1

# without --git: REV is read from the work tree holding the directory
git -C "$repo" checkout -q reshuffle
cd "$repo/config" || exit 1
run plan --changed-since v1
expect "changed-since in a work tree, no --git" 0 '1 added, 1 changed, 1 removed'
cd "$work" || exit 1
g checkout -q main
# a directory that REV did not have yet: everything in it is added
g checkout -q -b moved main
g mv config prod
g commit -qm "config moves to prod"
run plan --git repo@moved:prod --changed-since main
expect "changed-since a commit without the directory: all added" 0 '18 added, 0 changed, 0 removed'
g checkout -q main
cd "$work/notrepo" || exit 1
cp "$top"/examples/quickstart/*.yaml .
if git rev-parse --git-dir >/dev/null 2>&1; then
	echo "skip changed-since outside any work tree ($work is inside a repository)"
else
	run plan --changed-since main
	expect "changed-since outside any work tree: exit 1" 1 'not in a git work tree'
fi
cd "$work" || exit 1

# ---- environments: bases and patches read from the commit ---------------
envrepo=$work/envrepo
git init -q -b main "$envrepo"
git -C "$envrepo" config user.name "lakeform tests"
git -C "$envrepo" config user.email tests@lakeform.invalid
mkdir -p "$envrepo/envs"
cp -r "$top"/examples/environments/. "$envrepo/envs/"
git -C "$envrepo" add -A && git -C "$envrepo" commit -qm "environments"
for e in dev prod; do
	run export --git "envrepo@main:envs/$e"
	want=$(cd "$envrepo/envs/$e" && "$lf" export)
	if [[ $rc == 0 && -n $out && $out == "$want" ]]; then
		ok "environments: export --git of $e equals export of the checkout"
	else
		fail "environments: export --git of $e equals export of the checkout" "rc=$rc; $err"
	fi
done
# a plan saved from the commit applies in a checkout: the base's files are
# named there as the commit names them from envs/dev ("../base/...")
run plan --git envrepo@main:envs/dev -out "$work/env-dev.plan"
expect "environments: plan -out with --git" 0 'Plan: 27 to add'
cd "$envrepo/envs/dev" && run apply "$work/env-dev.plan"
expect "environments: a plan saved with --git applies in the checkout" 0 \
	'Apply complete! Resources: 27 added'
cd "$work" || exit 1
run validate --git envrepo@main:envs/prod -var region=eu-central-1
expect "environments: -var applies with --git" 0 'valid: 11 resources in 6 files'
printf 'region: [eu-central-1]\n' >"$work/env.vars"
run validate --git envrepo@main:envs/prod -var-file "$work/env.vars"
expect "environments: -var-file is read from the disk with --git, with positions" 1 \
	"env.vars:1:9: variable 'region' is a string, not a list"
printf 'region: ap-south-1\n' >"$work/env.vars"
run export --git envrepo@main:envs/prod -var-file "$work/env.vars"
expect "environments: -var-file's value with --git" 0 '"region":"ap-south-1"'
# the working directory changes; the commit does not
sed -i 's/cidr: 10.40.0.0\/20/cidr: 10.40.0.0\/99/' "$envrepo/envs/base/30-workspace.yaml"
run validate --git envrepo@main:envs/dev
expect "environments: --git reads the base of the commit, not of the disk" 0 'valid: 11'
git -C "$envrepo" commit -qam "bad base"
run validate --git envrepo@main:envs/prod
expect "environments: an error in the commit's base names its path in the tree" 1 \
	'envs/base/30-workspace.yaml:13:11: spec.network.cidr'
printf 'base: ../../..\n' >"$envrepo/envs/dev/lakeform.yaml"
git -C "$envrepo" commit -qam "base out of the tree"
run validate --git envrepo@main:envs/dev
expect "environments: a base outside the commit's tree is refused" 1 \
	"envs/dev/lakeform.yaml:1:7: base '../../..' lies outside the tree of 'main'"
cd "$envrepo/envs/dev" && run validate
expect "environments: a base outside the work tree is refused" 1 \
	"lakeform.yaml:1:7: base '../../..' lies outside the git work tree"
cd "$work" || exit 1

echo "git: $passed passed, $failed failed"
((failed == 0))
