#!/usr/bin/env bash
# sleepy-account.sh N DIR - an account whose storage provider is
# lakeform-provider-sleepy (10 ms a call): a metastore with N catalogs, so
# that after the default bucket, N prefixes can be created independently.
set -euo pipefail
n=${1:?usage: sleepy-account.sh N DIR}
dir=${2:?usage: sleepy-account.sh N DIR}
mkdir -p "$dir"
cat > "$dir/lakeform.yaml" <<'YAML'
providers:
  storage: {name: sleepy}
YAML
cat > "$dir/00-account.yaml" <<'YAML'
apiVersion: lakeform/v1
kind: Account
metadata: {name: bench}
spec:
  default_storage: {bucket: bench-default, region: us-east-1}
---
apiVersion: lakeform/v1
kind: Metastore
metadata: {name: ms}
spec: {region: us-east-1}
YAML
awk -v N="$n" 'BEGIN { for (i = 0; i < N; i++)
	printf "---\napiVersion: lakeform/v1\nkind: Catalog\nmetadata: {name: c%d}\nspec: {metastore: ms}\n", i }' \
	> "$dir/10-catalogs.yaml"
