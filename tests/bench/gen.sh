#!/usr/bin/env bash
# gen.sh N DIR [CHANGED] - write a synthetic, valid account of about N
# resources to DIR.  With CHANGED=1 the same account, but with a label added
# to every hundredth resource: 1% of the resources changed; with CHANGED=2
# every hundredth resource changed in its spec instead (changed_spec).
#
# The mix follows a real lakehouse account: a few regions, each with a
# metastore; users, groups and service principals; workspaces, 2,000 of them
# at 100,000 resources, across the regions (one in eight classic, with its
# own bucket, network and node pool, a /24 of its region; the serverless
# ones outside the first region with a bucket of their own); thousands of
# catalogs and schemas; tables with columns, and volumes; and grants, which
# make up most of it.  At 100,000 resources that is about 20 MB of YAML in
# about 110 files and about 15,000 provider objects (buckets, prefixes,
# policies, networks, node pools).  Files hold up to 1,000 documents each, as
# a team's repository would.
set -euo pipefail
n=${1:?usage: gen.sh N DIR}
dir=${2:?usage: gen.sh N DIR}
changed=${3:-0}
mkdir -p "$dir"
awk -v N="$n" -v DIR="$dir" -v CHANGED="$changed" '
# CHANGED=2: what a pull request changes in the spec of a resource: a grant gains
# a privilege (MODIFY, or SELECT where it has MODIFY), a table a column, a
# catalog, schema or volume its comment, a user or service principal its
# display name, a workspace its users; the other kinds (one in a hundred
# of the resources of the account) a label
function changed_spec(kind, text) {
	if (kind == "Grant" && text ~ /MODIFY/)
		sub(/privileges: \[/, "privileges: [SELECT, ", text)
	else if (kind == "Grant")
		sub(/privileges: \[/, "privileges: [MODIFY, ", text)
	else if (kind == "Table")
		sub(/type: STRING\}\n/, "type: STRING}\n    - {name: changed_at, type: TIMESTAMP}\n", text)
	else if (kind == "Catalog")
		sub(/comment: catalog/, "comment: changed catalog", text)
	else if (kind == "Schema" || kind == "Volume")
		sub(/^metadata:\n  name: [^\n]*\nspec:\n/, "&  comment: changed\n", text)
	else if (kind == "User" || kind == "ServicePrincipal")
		sub(/display_name: /, "display_name: Changed ", text)
	else if (kind == "Workspace")
		sub(/users: \[/, "users: [user:user0@bench.example, ", text)
	else
		sub(/^metadata:\n/, "metadata:\n  labels: {bench: changed}\n", text)
	return text
}
function out(kind, text) {
	file = sprintf("%s/%s-%04d.yaml", DIR, kind, int(count[kind] / 1000))
	if (file != last[kind]) { if (last[kind] != "") close(last[kind]); last[kind] = file }
	if (CHANGED == 1 && total % 100 == 50)
		sub(/^metadata:\n/, "metadata:\n  labels: {bench: changed}\n", text)
	else if (CHANGED == 2 && total % 100 == 50)
		text = changed_spec(kind, text)
	printf "---\napiVersion: lakeform/v1\nkind: %s\n%s", kind, text > file
	count[kind]++
	total++
}
BEGIN {
	split("us-east-1 us-west-2 eu-west-1 ap-south-1", regions, " ")
	R = 4
	users = int(N * 0.08) + 2; groups = int(N * 0.02) + 2; sps = int(N * 0.01) + 1
	workspaces = int(N * 0.02) + 1
	catalogs = int(N * 0.01) + 1; schemas = int(N * 0.03) + 1
	tables = int(N * 0.08) + 1; volumes = int(N * 0.01) + 1

	out("Account", "metadata:\n  name: bench\nspec:\n  default_storage:\n    bucket: bench-default\n    region: us-east-1\n")
	# data stays in its region: outside that of the default storage, a metastore
	# and a serverless workspace have buckets of their own
	for (r = 1; r <= R; r++)
		if (r == 1)
			out("Metastore", sprintf("metadata:\n  name: ms-%s\nspec:\n  region: %s\n  storage_root:\n    prefix: metastores/%s\n", regions[r], regions[r], regions[r]))
		else
			out("Metastore", sprintf("metadata:\n  name: ms-%s\nspec:\n  region: %s\n  storage_root:\n    bucket: bench-ms-%s\n", regions[r], regions[r], regions[r]))
	for (i = 0; i < users; i++)
		out("User", sprintf("metadata:\n  name: user%d@bench.example\nspec:\n  display_name: User %d\n", i, i))
	for (i = 0; i < sps; i++)
		out("ServicePrincipal", sprintf("metadata:\n  name: sp-%d\nspec:\n  display_name: Robot %d\n", i, i))
	for (i = 0; i < groups; i++) {
		m = ""
		for (j = 0; j < 5; j++) m = m sprintf("      - user:user%d@bench.example\n", (i * 5 + j) % users)
		if (i > 0) m = m sprintf("      - group:group-%d\n", i - 1)
		out("Group", sprintf("metadata:\n  name: group-%d\nspec:\n  members:\n%s", i, m))
	}
	for (i = 0; i < workspaces; i++) {
		r = i % R + 1
		if (i % 8 == 7)
			out("Workspace", sprintf("metadata:\n  name: ws-%d\nspec:\n  region: %s\n  compute: classic\n  metastore: ms-%s\n  storage:\n    bucket: bench-ws-%d\n  network:\n    cidr: 10.%d.%d.0/24\n  users: [group:group-%d]\n", i, regions[r], regions[r], i, int(i / 256) % 256, i % 256, i % groups))
		else if (r == 1)
			out("Workspace", sprintf("metadata:\n  name: ws-%d\nspec:\n  region: %s\n  compute: serverless\n  metastore: ms-%s\n  users: [group:group-%d]\n", i, regions[r], regions[r], i % groups))
		else
			out("Workspace", sprintf("metadata:\n  name: ws-%d\nspec:\n  region: %s\n  compute: serverless\n  metastore: ms-%s\n  storage:\n    bucket: bench-ws-%d\n  users: [group:group-%d]\n", i, regions[r], regions[r], i, i % groups))
	}
	for (i = 0; i < catalogs; i++)
		out("Catalog", sprintf("metadata:\n  name: cat_%d\nspec:\n  metastore: ms-%s\n  comment: catalog %d\n", i, regions[i % R + 1], i))
	for (i = 0; i < schemas; i++) {
		c = i % catalogs
		out("Schema", sprintf("metadata:\n  name: sch_%d\nspec:\n  metastore: ms-%s\n  catalog: cat_%d\n", i, regions[c % R + 1], c))
	}
	for (i = 0; i < tables; i++) {
		s = i % schemas; c = s % catalogs
		out("Table", sprintf("metadata:\n  name: t_%d\nspec:\n  metastore: ms-%s\n  catalog: cat_%d\n  schema: sch_%d\n  columns:\n    - {name: id, type: BIGINT}\n    - {name: payload, type: STRING}\n", i, regions[c % R + 1], c, s))
	}
	for (i = 0; i < volumes; i++) {
		s = i % schemas; c = s % catalogs
		out("Volume", sprintf("metadata:\n  name: v_%d\nspec:\n  metastore: ms-%s\n  catalog: cat_%d\n  schema: sch_%d\n", i, regions[c % R + 1], c, s))
	}
	for (i = 0; total < N && i < N * 20; i++) {
		k = i % 3
		p = (i % 2) ? sprintf("group:group-%d", i % groups) : sprintf("user:user%d@bench.example", i % users)
		if (k == 0) {
			c = i % catalogs
			sec = sprintf("    type: catalog\n    metastore: ms-%s\n    name: cat_%d\n", regions[c % R + 1], c); priv = "[USE_CATALOG, SELECT]"
		} else if (k == 1) {
			s = i % schemas; c = s % catalogs
			sec = sprintf("    type: schema\n    metastore: ms-%s\n    name: cat_%d.sch_%d\n", regions[c % R + 1], c, s); priv = "[USE_SCHEMA, MODIFY]"
		} else {
			t = i % tables; s = t % schemas; c = s % catalogs
			sec = sprintf("    type: table\n    metastore: ms-%s\n    name: cat_%d.sch_%d.t_%d\n", regions[c % R + 1], c, s, t); priv = "[SELECT]"
		}
		# one Grant per principal and securable (a rule): skip repeats
		key = p SUBSEP sec
		if (key in granted)
			continue
		granted[key] = 1
		out("Grant", sprintf("metadata:\n  name: g-%d\nspec:\n  principal: %s\n  securable:\n%s  privileges: %s\n", i, p, sec, priv))
	}
}'
