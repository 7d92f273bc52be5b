#!/usr/bin/env bash
# gen-grants.sh DIR USERS CATALOGS SCHEMAS MODE - add many grants on the
# metastore bucket (acme-lf-uc-use1) to DIR, a copy of examples/s3: USERS
# users (user:gNN@acme.example, mapped to ARNs in lakeform.yaml), CATALOGS
# catalogs gen_C of SCHEMAS schemas each, and per user a grant on every
# schema (USE_SCHEMA, SELECT).  MODE 'covered': each user is also granted
# every catalog, as teams often are, so the schema grants add nothing the
# policy must say; 'distinct': the schema grants alone, every one a path of
# its own.  Writes DIR/60-generated.yaml; prints the number of grants.
set -euo pipefail
dir=${1:?usage: gen-grants.sh DIR USERS CATALOGS SCHEMAS MODE}
users=$2 cats=$3 schemas=$4 mode=$5
out=$dir/60-generated.yaml
: >"$out"
doc() { printf -- '---\napiVersion: lakeform/v1\n%s\n' "$1" >>"$out"; }
arns=
for ((u = 0; u < users; u++)); do
	doc "kind: User
metadata: {name: g$u@acme.example}
spec: {display_name: Generated $u}"
	arns+="        user:g$u@acme.example: arn:aws:iam::123456789012:user/generated-user-$u\n"
done
# the ARNs go under settings.principals
sed -i "s|^      principals:\$|      principals:\n${arns%\\n}|" "$dir/lakeform.yaml"
n=0
for ((c = 0; c < cats; c++)); do
	doc "kind: Catalog
metadata: {name: gen_$c}
spec: {metastore: main-use1, owner: user:alice@acme.example}"
	for ((s = 0; s < schemas; s++)); do
		doc "kind: Schema
metadata: {name: s_$s}
spec: {metastore: main-use1, catalog: gen_$c, owner: user:alice@acme.example}"
	done
done
for ((u = 0; u < users; u++)); do
	for ((c = 0; c < cats; c++)); do
		if [[ $mode == covered ]]; then
			doc "kind: Grant
metadata: {name: g$u-gen-$c}
spec:
  principal: user:g$u@acme.example
  securable: {type: catalog, metastore: main-use1, name: gen_$c}
  privileges: [USE_CATALOG, SELECT]"
			n=$((n + 1))
		fi
		for ((s = 0; s < schemas; s++)); do
			doc "kind: Grant
metadata: {name: g$u-gen-$c-s-$s}
spec:
  principal: user:g$u@acme.example
  securable: {type: schema, metastore: main-use1, name: gen_$c.s_$s}
  privileges: [USE_SCHEMA, SELECT]"
			n=$((n + 1))
		done
	done
done
echo "$n"
