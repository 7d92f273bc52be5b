#!/usr/bin/env bash
# incr.sh LAKEFORM_BINARY - the plan of the changed documents alone
# (src/core/incr.h) answers exactly as the full path does.
#
# A generated account (tests/bench/gen.sh 2000, every hundredth resource
# with a label) is applied once.  Then, for each edit of a long list (labels
# added, changed and removed, comments of catalogs, schemas, volumes and
# tables, a table's columns, display names (a user's only without an
# identity provider: tests/integration/scim checks the other case), a
# grant's privileges (its buckets' policies compiled again from the cache,
# a policy that loses a principal placed by the cache's graph), users added
# to workspaces (their grants made and placed by the graph), and every kind
# of change the shortcut must leave to the full path: a
# column defined twice, an owner, a privilege that is not valid, an unknown
# principal, grants added or removed, documents deleted, added, moved,
# renamed, duplicated, workspaces' users removed or reordered, their admins
# and CIDRs, the metastore, YAML comments, reformatting, files deleted,
# markers, schema errors, an object changed outside), on a fresh copy of
# the applied account at the same path:
#   - `plan` and `plan --incremental=false` print the same stdout and
#     stderr, byte for byte, and exit alike; so do their --markdown,
#     --detailed-exitcode and --refresh=false forms for some edits;
#   - whether the shortcut was taken (LAKEFORM_LOG=debug) is what the edit
#     expects: an edit of labels, comments, columns, those display names,
#     privileges or users added only must take it (but for the cases
#     above), the others must not;
#   - for some edits, `apply --auto-approve` both ways too: the same output
#     and exit, the same state.json (its fingerprint included: the same
#     path, the same objects), the same .lakeform/cache/documents (the
#     shortcut's apply removes cache/inputs, whose content digests it does
#     not compute; else it must be the same too), and then a second
#     labels edit planned both ways on each result (the cache the shortcut
#     rewrote serves as the one the full path wrote).
# Prints `ok ...` / `FAIL ...` per check and `incr: N passed, N failed`.
set -uo pipefail
lf=$(realpath "${1:?usage: incr.sh LAKEFORM_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export LAKEFORM_SCHEMA_DIR=${LAKEFORM_SCHEMA_DIR:-$root/schemas}
unset LAKEFORM_LOG LAKEFORM_CLI_ARGS
work=$(mktemp -d /tmp/lakeform-incr.XXXXXX)
acct=$work/acct
base=$work/base
passed=0 failed=0 edits=0 taken=0

ok() {
	passed=$((passed + 1))
	echo "ok $*"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL $*"
}
finish() {
	echo "incr: $edits edits ($taken by the shortcut)"
	echo "incr: $passed passed, $failed failed"
	if ((failed == 0)) && [[ ${INCR_KEEP:-0} != 1 ]]; then
		rm -rf "$work"
	else
		echo "kept $work"
	fi
	((failed == 0))
	exit $?
}

# edit.py FILE NAME ACTION [ARG]: change the document of FILE whose
# metadata.name is NAME, as text (the way a person edits it)
cat >"$work/edit.py" <<'EOF'
import re, sys
path, name, action = sys.argv[1], sys.argv[2], sys.argv[3]
arg = sys.argv[4].replace("\\n", "\n") if len(sys.argv) > 4 else ""
text = open(path).read()
docs = re.split(r"(?m)^(?=---$)", text)
hit = [i for i, d in enumerate(docs) if re.search(r"(?m)^  name: %s$" % re.escape(name), d)]
if len(hit) != 1:
    sys.exit("edit.py: %d documents named %s in %s" % (len(hit), name, path))
i = hit[0]
d = docs[i]
if action == "label":          # add (or set) a label: KEY: VALUE
    if "  labels: {" in d:
        d = d.replace("  labels: {", "  labels: {%s, " % arg, 1)
    else:
        d = d.replace("metadata:\n", "metadata:\n  labels: {%s}\n" % arg, 1)
elif action == "unlabel":      # remove the labels
    d = re.sub(r"(?m)^  labels: \{[^\n]*\}\n", "", d)
elif action == "sub":          # replace text OLD=>NEW in the document
    old, new = arg.split("=>")
    if old not in d:
        sys.exit("edit.py: %r not in %s" % (old, name))
    d = d.replace(old, new)
elif action == "delete":
    d = ""
elif action == "cut":          # delete it here, print it
    sys.stdout.write(d)
    d = ""
elif action == "dup":          # print it (to add elsewhere)
    sys.stdout.write(d)
elif action == "swapnext":     # swap with the next document
    docs[i], docs[i + 1] = docs[i + 1], docs[i]
    d = docs[i]
else:
    sys.exit("edit.py: no action " + action)
docs[i] = d
open(path, "w").write("".join(docs))
EOF
ed() { python3 "$work/edit.py" "$@"; }

"$root/tests/bench/gen.sh" 2000 "$base" 1 >/dev/null || {
	fail "gen.sh"
	finish
}
(cd "$base" && "$lf" apply --auto-approve >/dev/null 2>"$work/first.err") || {
	fail "the first apply: $(head -3 "$work/first.err")"
	finish
}
[[ -s $base/.lakeform/cache/documents ]] && ok "apply wrote .lakeform/cache/documents" ||
	fail "apply wrote no .lakeform/cache/documents"
# the account is used at one path, so that the local providers' objects
# (whose URLs name it) read the same in every copy
mv "$base" "$work/applied"
base=$work/applied
fresh() {
	rm -rf "$acct"
	mkdir -p "$acct"
	cp -a "$base/." "$acct/"
}

# run NAME ARGS...: lakeform in the account, its stdout, stderr and exit
# code in $work/NAME.{out,err,rc}
run() {
	local name=$1
	shift
	(cd "$acct" && "$lf" "$@" >"$work/$name.out" 2>"$work/$name.err")
	echo $? >"$work/$name.rc"
}

# same LABEL A B: A's and B's outputs are the same
same() {
	local what=$1 a=$2 b=$3 f
	for f in out err rc; do
		if ! cmp -s "$work/$a.$f" "$work/$b.$f"; then
			fail "$what: std$f differs ($f of the shortcut, then of the full path):"
			diff "$work/$a.$f" "$work/$b.$f" | head -n 12
			return 1
		fi
	done
	ok "$what ($(cat "$work/$a.rc"), $(wc -l <"$work/$a.out") lines)"
}

# shortcut? NAME ARGS...: whether plan took it, from its debug log
took() {
	local log
	log=$(cd "$acct" && LAKEFORM_LOG=debug "$lf" plan "$@" 2>&1 >/dev/null)
	grep -q 'plan: [0-9]* changed documents alone' <<<"$log" && ! grep -q 'after all' <<<"$log"
}

# check NAME EXPECT SETUP...: a fresh account, SETUP run in it, then plan
# both ways compared; EXPECT "yes" (the shortcut must be taken) or "no"
check() {
	local name=$1 expect=$2
	shift 2
	edits=$((edits + 1))
	fresh
	(cd "$acct" && eval "$@") || fail "$name: the edit failed"
	local got=no
	took && got=yes
	[[ $got == yes ]] && taken=$((taken + 1))
	if [[ $got == "$expect" ]]; then
		ok "$name: shortcut $got"
	else
		fail "$name: the shortcut was ${got/no/not} taken, expected $expect"
	fi
	run a plan
	run b plan --incremental=false
	same "$name: plan" a b
	if [[ ${VARIANTS:-0} == 1 ]]; then
		run a plan --markdown
		run b plan --markdown --incremental=false
		same "$name: plan --markdown" a b
		run a plan --detailed-exitcode --refresh=false
		run b plan --detailed-exitcode --refresh=false --incremental=false
		same "$name: plan --detailed-exitcode --refresh=false" a b
	fi
}

# state.json without what differs between two runs of the same changes:
# nothing should; the serial and lineage are the same (the same copy)
state_of() {
	jq -S . "$1/.lakeform/state.json"
}

# check_apply NAME EXPECT SETUP...: as check, then apply both ways from
# the same copy, and a labels edit planned after each
check_apply() {
	local name=$1
	check "$@"
	shift 2
	local setup="$*"
	fresh
	(cd "$acct" && eval "$setup")
	run a apply --auto-approve
	state_of "$acct" >"$work/a.state"
	cp "$acct/.lakeform/cache/documents" "$work/a.documents" 2>/dev/null || : >"$work/a.documents"
	cp "$acct/.lakeform/cache/inputs" "$work/a.inputs" 2>/dev/null || : >"$work/a.inputs"
	ed "$acct/Grant-0000.yaml" g-7 label "after: apply"
	run a2 plan
	run a3 plan --incremental=false
	same "$name: after the shortcut's apply, a labels edit" a2 a3
	fresh
	(cd "$acct" && eval "$setup")
	run b apply --auto-approve --incremental=false
	state_of "$acct" >"$work/b.state"
	cp "$acct/.lakeform/cache/documents" "$work/b.documents" 2>/dev/null || : >"$work/b.documents"
	cp "$acct/.lakeform/cache/inputs" "$work/b.inputs" 2>/dev/null || : >"$work/b.inputs"
	ed "$acct/Grant-0000.yaml" g-7 label "after: apply"
	run b2 plan
	# the calls' answers come in any order (a policy's before a grant's)
	sort "$work/a.out" >"$work/a.sorted" && mv "$work/a.sorted" "$work/a.out"
	sort "$work/b.out" >"$work/b.sorted" && mv "$work/b.sorted" "$work/b.out"
	same "$name: apply (its lines sorted)" a b
	cmp -s "$work/a.state" "$work/b.state" && ok "$name: apply: the same state.json" ||
		fail "$name: apply: state.json differs: $(diff "$work/a.state" "$work/b.state" | head -n 8)"
	cmp -s "$work/a.documents" "$work/b.documents" && ok "$name: apply: the same documents cache" ||
		fail "$name: apply: the documents caches differ"
	# the inputs cache: the full path's, or none when the shortcut applied
	if [[ -s $work/a.inputs ]]; then
		cmp -s "$work/a.inputs" "$work/b.inputs" && ok "$name: apply: the same inputs cache" ||
			fail "$name: apply: the inputs caches differ"
	fi
	same "$name: the labels edit after either apply" a2 b2
}

G0=Grant-0000.yaml
# ---- edits the shortcut takes: labels --------------------------------------
VARIANTS=1 check_apply "a label added to a grant" yes "ed $G0 g-3 label 'team: red'"
check "a label added to every document without one" yes "perl -0pi -e 's/^metadata:\\n(?!  labels)/metadata:\\n  labels: {x: y}\\n/mg' *.yaml"
VARIANTS=1 check_apply "the labels' value changed everywhere" yes "sed -i 's/bench: changed/bench: other/' *.yaml"
check_apply "the labels removed everywhere" yes "sed -i '/^  labels: {bench: changed}\$/d' *.yaml"
check "a label removed from one document" yes "sed -i '0,/^  labels: {bench: changed}\$/{//d}' Grant-0001.yaml"
check "a label on the account" yes "ed Account-0000.yaml bench label 'env: prod'"
check "a label on a metastore" yes "ed Metastore-0000.yaml ms-eu-west-1 label 'env: prod'"
check "a label on a classic workspace" yes "ed Workspace-0000.yaml ws-7 label 'env: prod'"
check "a label on a user" yes "ed User-0000.yaml user3@bench.example label 'env: prod'"
check "a label on a group" yes "ed Group-0000.yaml group-2 label 'env: prod'"
check "a label on a catalog" yes "ed Catalog-0000.yaml cat_3 label 'env: prod'"
check "a label on a table" yes "ed Table-0000.yaml t_5 label 'env: prod'"
check "labels on a service principal and a volume" yes "ed ServicePrincipal-0000.yaml sp-1 label 'a: b' && ed Volume-0000.yaml v_2 label 'a: b'"
check "a label and a comment in another document" yes "ed $G0 g-3 label 'a: b' && ed $G0 g-4 sub 'spec:=>spec: # why'"
check "a label and a reformatted document" yes "ed $G0 g-3 label 'a: b' && ed Table-0000.yaml t_0 sub '    - {name: id, type: BIGINT}=>    - name: id\n      type: BIGINT'"
check "a label and a comment before the first document" yes "sed -i '1i # owned by the data team' $G0 && ed $G0 g-3 label 'a: b'"
check "a label written in flow style" yes "ed $G0 g-5 sub 'metadata:\n  name: g-5=>metadata: {name: g-5, labels: {k: v}}'"
check "a label with a quoted value" yes "ed $G0 g-6 label 'k: \"v 1\"'"
check "a document reformatted, nothing else (the content shortcut)" no "ed Table-0000.yaml t_0 sub '    - {name: id, type: BIGINT}=>    - name: id\n      type: BIGINT'"
# ---- edits the shortcut leaves to the full path --------------------------------
check "a comment only (the content shortcut)" no "ed $G0 g-4 sub 'spec:=>spec: # why'"
check "nothing changed" no true
VARIANTS=1 check_apply "a table's columns changed" yes "ed Table-0000.yaml t_1 sub 'payload, type: STRING=>payload, type: BINARY'"
check "a table's columns changed, and a label" yes "ed Table-0000.yaml t_1 sub 'payload, type: STRING=>payload, type: BINARY' && ed $G0 g-3 label 'a: b'"
# ---- a grant's privileges: its buckets' policies compiled again ---------------
VARIANTS=1 check_apply "a grant's privilege changed (its bucket's policy changes)" yes "ed $G0 g-2 sub '[SELECT]=>[SELECT, MODIFY]'"
check_apply "grants' privileges changed in every region, and a label" yes "ed $G0 g-0 sub '[USE_CATALOG, SELECT]=>[USE_CATALOG, SELECT, MODIFY]' && ed $G0 g-2 sub '[SELECT]=>[MODIFY]' && ed $G0 g-3 sub '[USE_CATALOG, SELECT]=>[USE_CATALOG, ALL PRIVILEGES]' && ed $G0 g-5 sub '[SELECT]=>[SELECT, MODIFY]' && ed $G0 g-6 sub '[USE_CATALOG, SELECT]=>[USE_CATALOG, SELECT, MODIFY]' && ed $G0 g-7 label 'a: b'"
check "a privilege without storage access added (no policy changes)" yes "ed $G0 g-0 sub '[USE_CATALOG, SELECT]=>[USE_CATALOG, SELECT, BROWSE]'"
check "a grant's write taken back to read" yes "ed $G0 g-1 sub '[USE_SCHEMA, MODIFY]=>[USE_SCHEMA, SELECT]'"
check_apply "a grant's only storage access removed (its principal leaves the policy)" yes "ed $G0 g-1 sub '[USE_SCHEMA, MODIFY]=>[USE_SCHEMA]'"
check "a privilege that cannot be granted on the securable (the full path says where)" no "ed $G0 g-2 sub '[SELECT]=>[SELECT, CREATE_CATALOG]'"
check "a privilege listed twice" no "ed $G0 g-2 sub '[SELECT]=>[SELECT, select]'"
check "an unknown privilege" no "ed $G0 g-2 sub '[SELECT]=>[SELECT, FLY]'"
check "a grant's privileges and its principal" no "ed $G0 g-2 sub '[SELECT]=>[SELECT, MODIFY]' && ed $G0 g-2 sub 'principal: user:user2@=>principal: user:user3@'"
check "a grant's privileges, the cache written by an older lakeform" no "sed -i '1s/cache 3/cache 2/' .lakeform/cache/documents && ed $G0 g-2 sub '[SELECT]=>[SELECT, MODIFY]'"
check "a grant's privileges, the cache's policies damaged" no "sed -i 's/^g 1 /g 9 /' .lakeform/cache/documents && ed $G0 g-2 sub '[SELECT]=>[SELECT, MODIFY]'"
check "a grant's principal changed" no "ed $G0 g-2 sub 'principal: user:user2@=>principal: user:user3@'"
check "a grant added" no "printf -- '---\napiVersion: lakeform/v1\nkind: Grant\nmetadata:\n  name: g-new\nspec:\n  principal: group:group-1\n  securable:\n    type: catalog\n    metastore: ms-us-east-1\n    name: cat_0\n  privileges: [USE_CATALOG]\n' >> $G0"
check "a grant removed" no "ed $G0 g-3 delete"
check_apply "a document deleted, and a label" no "ed $G0 g-3 delete && ed $G0 g-4 label 'a: b'"
check "a document added in a new file" no "printf -- '---\napiVersion: lakeform/v1\nkind: User\nmetadata:\n  name: new@bench.example\nspec:\n  display_name: New\n' > Extra.yaml"
check "a document moved to another file" no "ed $G0 g-3 cut >> Grant-0001.yaml"
check "two documents swapped" no "ed $G0 g-3 swapnext"
check "a catalog renamed (references break)" no "sed -i 's/^  name: cat_2\$/  name: cat_2x/' Catalog-0000.yaml"
check "a schema renamed, its label changed" no "ed Schema-0000.yaml sch_1 sub 'name: sch_1=>name: sch_1b'"
check "a duplicate name" no "ed $G0 g-3 dup >> Grant-0001.yaml"
check "a duplicate name by a rename" no "sed -i 's/^  name: g-3\$/  name: g-4/' $G0"
# ---- users added to a workspace: its catalog's grants made, placed by the graph
VARIANTS=1 check_apply "a user added to a workspace (its grant made, its bucket's policy gains a principal)" yes "ed Workspace-0000.yaml ws-0 sub 'users: [group:group-0]=>users: [user:user0@bench.example, group:group-0]'"
check_apply "users added before and after those of a classic workspace with admins" yes "ed Workspace-0000.yaml ws-7 sub 'users: [group:group-7]=>users: [group:group-7, group:group-3]\n  admins: [group:group-2, user:user3@bench.example]' && '$lf' apply --auto-approve >/dev/null && ed Workspace-0000.yaml ws-7 sub 'users: [group:group-7, group:group-3]=>users: [user:user1@bench.example, group:group-7, user:user0@bench.example, service_principal:sp-1, group:group-3, group:group-4]'"
check_apply "users added to workspaces in every region, a grant's privileges and labels" yes "ed Workspace-0000.yaml ws-1 sub 'users: [group:group-1]=>users: [group:group-1, user:user0@bench.example]' && ed Workspace-0000.yaml ws-2 sub 'users: [group:group-2]=>users: [group:group-2, group:group-5]' && ed Workspace-0000.yaml ws-3 sub 'users: [group:group-3]=>users: [user:user2@bench.example, group:group-3]' && ed Workspace-0000.yaml ws-4 sub 'users: [group:group-4]=>users: [group:group-4, user:user0@bench.example]' && ed $G0 g-2 sub '[SELECT]=>[SELECT, MODIFY]' && ed $G0 g-3 label 'a: b'"
check "a user added to a workspace, the cache without its graph" no "sed -i '/^graph /,\$d' .lakeform/cache/documents && ed Workspace-0000.yaml ws-0 sub 'users: [group:group-0]=>users: [user:user0@bench.example, group:group-0]'"
check "a user added to a workspace, the cache's graph damaged" no "sed -i 's/^- \([0-9]*\),/- x\1,/' .lakeform/cache/documents && ed Workspace-0000.yaml ws-0 sub 'users: [group:group-0]=>users: [user:user0@bench.example, group:group-0]'"
check "an unknown user added to a workspace (the full path says where)" no "ed Workspace-0000.yaml ws-0 sub 'users: [group:group-0]=>users: [user:nobody@bench.example, group:group-0]'"
check "a user added to a workspace twice" no "ed Workspace-0000.yaml ws-0 sub 'users: [group:group-0]=>users: [user:user0@bench.example, group:group-0, user:user0@bench.example]'"
check "a workspace's users changed" no "ed Workspace-0000.yaml ws-3 sub 'users: [group:group-3]=>users: [group:group-4]'"
check "a workspace's users removed" no "ed Workspace-0000.yaml ws-3 sub 'users: [group:group-3]=>users: []'"
check "a workspace's users reordered" no "ed Workspace-0000.yaml ws-3 sub 'users: [group:group-3]=>users: [group:group-3, user:user0@bench.example]' && '$lf' apply --auto-approve >/dev/null && ed Workspace-0000.yaml ws-3 sub 'users: [group:group-3, user:user0@bench.example]=>users: [user:user0@bench.example, group:group-3]'"
check "a user added to a workspace and an admin" no "ed Workspace-0000.yaml ws-0 sub 'users: [group:group-0]=>users: [user:user0@bench.example, group:group-0]\n  admins: [group:group-9]'"
check "a workspace's admin added as a user" no "ed Workspace-0000.yaml ws-0 sub 'users: [group:group-0]=>users: [group:group-0]\n  admins: [user:user0@bench.example]' && '$lf' apply --auto-approve >/dev/null && ed Workspace-0000.yaml ws-0 sub 'users: [group:group-0]=>users: [group:group-0, user:user0@bench.example]'"
check "a classic workspace's CIDR changed" no "ed Workspace-0000.yaml ws-7 sub 'cidr: 10.0.7.0/24=>cidr: 10.0.9.0/24'"
check "a classic workspace's CIDR overlapping another" no "ed Workspace-0000.yaml ws-7 sub 'cidr: 10.0.7.0/24=>cidr: 10.0.15.0/24'"
check "a metastore changed" no "ed Metastore-0000.yaml ms-us-east-1 sub 'prefix: metastores/us-east-1=>prefix: metastores/use1'"
check_apply "a catalog's comment changed" yes "ed Catalog-0000.yaml cat_3 sub 'comment: catalog 3=>comment: the third'"
check "comments added to a schema, a volume and a table" yes "ed Schema-0000.yaml sch_1 sub 'spec:\n=>spec:\n  comment: raw data\n' && ed Volume-0000.yaml v_2 sub 'spec:\n=>spec:\n  comment: files\n' && ed Table-0000.yaml t_2 sub 'spec:\n=>spec:\n  comment: events\n'"
check "a column's comment" yes "ed Table-0000.yaml t_3 sub '{name: id, type: BIGINT}=>{name: id, type: BIGINT, comment: the key}'"
check "a column defined twice (the full path says where)" no "ed Table-0000.yaml t_1 sub '    - {name: id, type: BIGINT}\n=>    - {name: id, type: BIGINT}\n    - {name: ID, type: INT}\n'"
check "a table's comment and its owner (the owner reaches the storage)" no "ed Table-0000.yaml t_4 sub '  columns:=>  comment: c\n  owner: user:user2@bench.example\n  columns:'"
check_apply "a service principal's and a group's display name" yes "ed ServicePrincipal-0000.yaml sp-1 sub 'display_name: Robot 1=>display_name: Robot One' && ed Group-0000.yaml group-2 sub 'spec:\n=>spec:\n  display_name: Second\n'"
check_apply "a user's display name (no provider serves identities: no object carries it)" yes "ed User-0000.yaml user3@bench.example sub 'display_name: User 3=>display_name: Third'"
check "a catalog's comment and its owner" no "ed Catalog-0000.yaml cat_3 sub 'comment: catalog 3=>comment: the third\n  owner: user:user2@bench.example'"
check "a file deleted" no "rm Volume-0000.yaml"
check "a document end marker" no "printf '...\n' >> $G0 && ed $G0 g-3 label 'a: b'"
check "a directive" no "sed -i '1i %YAML 1.1' $G0 && ed $G0 g-3 label 'a: b'"
check "a byte order mark" no "printf '\xef\xbb\xbf' | cat - $G0 > x && mv x $G0 && ed $G0 g-3 label 'a: b'"
check "a label that is not a string" no "ed $G0 g-3 label 'n: [1, 2]'"
check "a label on a document that no longer parses" no "ed $G0 g-3 label 'a: b' && ed $G0 g-4 sub 'spec:=>spec: ['"
check "prevent_destroy set, and a label" no "ed $G0 g-3 sub 'metadata:=>metadata:\n  lifecycle: {prevent_destroy: true}' && ed $G0 g-4 label 'a: b'"
check "a kind changed" no "ed User-0000.yaml user3@bench.example sub 'kind: User=>kind: ServicePrincipal'"
check "lakeform.yaml added, and a label" no "printf 'regions: [moon-1]\n' > lakeform.yaml && ed $G0 g-3 label 'a: b'"
check "a policy added, and a label" no "printf -- '---\napiVersion: lakeform/v1\nkind: Policy\nmetadata:\n  name: p\nspec:\n  enforcement: warn\n  rules:\n    - {kind: Workspace, require: {labels: [team]}}\n' > Policy.yaml && ed $G0 g-3 label 'a: b'"
check "an object deleted outside lakeform, and a label" no "rm -rf .lakeform/local/storage/buckets/bench-ws-7 && ed $G0 g-3 label 'a: b'"
check "the documents cache deleted, and a label" no "rm .lakeform/cache/documents && ed $G0 g-3 label 'a: b'"
check "the documents cache damaged, and a label" no "sed -i '5s/^./x/' .lakeform/cache/documents && ed $G0 g-3 label 'a: b'"
finish
