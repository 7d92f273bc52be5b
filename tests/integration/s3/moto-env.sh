# moto-env.sh - sourced by the s3 tests: start moto_server on a free port of
# 127.0.0.1 with authentication on, make an IAM user and its access key with
# /usr/bin/aws (the first three requests need no signature), and export the
# AWS_* variables lakeform and aws then use.  Sets $endpoint, $moto_pid,
# $key, $secret, and defines aws() (Debian's awscli with --endpoint-url).
# The caller stops the server: kill "$moto_pid".  Needs $work (a scratch
# directory) and jq.  moto_server is found, or installed into build/moto,
# by scripts/moto.sh (moto_find); its reason, when there is none, is left
# in $moto_why.
awsbin=/usr/bin/aws
moto_bin=
moto_why=
moto_find() {
	[[ -n $moto_bin ]] && return 0
	local err
	err=$(mktemp)
	if moto_bin=$("$(dirname "${BASH_SOURCE[0]}")/../../../scripts/moto.sh" 2>"$err"); then
		rm -f "$err"
		return 0
	fi
	moto_why=$(grep '^moto: no\|^moto: MOTO' "$err" | tail -n 1)
	moto_why=${moto_why:-$(tail -n 1 "$err")}
	rm -f "$err"
	moto_bin=
	return 1
}
moto_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
moto_start() {
	local p
	moto_find || return 1
	port=
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		if ! moto_port_open "$p"; then
			port=$p
			break
		fi
	done
	endpoint=http://127.0.0.1:$port
	INITIAL_NO_AUTH_ACTION_COUNT=3 "$moto_bin" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
	moto_pid=$!
	# the port, not a request: every request counts against the three
	for _ in $(seq 100); do
		moto_port_open "$port" && break
		sleep 0.1
	done
	moto_port_open "$port" || return 1
	export AWS_CONFIG_FILE=$work/aws-config AWS_SHARED_CREDENTIALS_FILE=$work/aws-credentials
	unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION
	export AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=bootstrap AWS_SECRET_ACCESS_KEY=bootstrap
	aws iam create-user --user-name lf >/dev/null &&
		aws iam put-user-policy --user-name lf --policy-name all --policy-document \
			'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' &&
		aws iam create-access-key --user-name lf >"$work/key.json" || return 1
	key=$(jq -r .AccessKey.AccessKeyId "$work/key.json")
	secret=$(jq -r .AccessKey.SecretAccessKey "$work/key.json")
	[[ -n $key && $key != null ]] || return 1
	export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_ENDPOINT_URL=$endpoint
}
aws() { "$awsbin" --endpoint-url "$endpoint" "$@"; }
# moto_profiles: the IAM key as profile 'lfprof' of the shared credentials
# file and as profile 'lfconf' (with its region) of the config file only;
# neither is the default, so nothing reads them unless AWS_PROFILE says.
moto_profiles() {
	printf '[lfprof]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$key" "$secret" >"$AWS_SHARED_CREDENTIALS_FILE"
	printf '# written by moto-env.sh\n[profile lfconf]\nregion = us-east-1\naws_access_key_id=%s\naws_secret_access_key=%s\n' \
		"$key" "$secret" >"$AWS_CONFIG_FILE"
}
# moto_start_web COUNT: a second moto_server for web identity, with
# $wendpoint, $wmoto_pid (the caller stops it), an IAM user's key in $wkey
# and $wsecret, a role web identities may assume, allowed everything, in
# $role_arn, and a token file in $token_file (moto accepts any token).
# moto 5.2 with authentication on refuses an unsigned request, STS's
# AssumeRoleWithWebIdentity included (AWS takes it unsigned), so the server
# leaves its first COUNT requests unchecked: the five made here, then
# whatever the caller makes before lakeform's one call to STS, which must
# be the COUNT-th; every request after it is checked, so lakeform's S3
# requests prove that STS's temporary keys work.
moto_start_web() {
	local p count=$1
	moto_find || return 1
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		if ! moto_port_open "$p" && [[ $p != "${port:-}" ]]; then break; fi
	done
	wendpoint=http://127.0.0.1:$p
	INITIAL_NO_AUTH_ACTION_COUNT=$count "$moto_bin" -H 127.0.0.1 -p "$p" >"$work/moto-web.log" 2>&1 &
	wmoto_pid=$!
	for _ in $(seq 100); do
		moto_port_open "$p" && break
		sleep 0.1
	done
	moto_port_open "$p" || return 1
	local waws=("$awsbin" --endpoint-url "$wendpoint")
	AWS_ACCESS_KEY_ID=bootstrap AWS_SECRET_ACCESS_KEY=bootstrap "${waws[@]}" iam create-user --user-name lf >/dev/null &&
		AWS_ACCESS_KEY_ID=bootstrap AWS_SECRET_ACCESS_KEY=bootstrap "${waws[@]}" iam put-user-policy --user-name lf --policy-name all --policy-document \
			'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' &&
		AWS_ACCESS_KEY_ID=bootstrap AWS_SECRET_ACCESS_KEY=bootstrap "${waws[@]}" iam create-access-key --user-name lf >"$work/wkey.json" &&
		AWS_ACCESS_KEY_ID=bootstrap AWS_SECRET_ACCESS_KEY=bootstrap "${waws[@]}" iam create-role --role-name lf-web --assume-role-policy-document \
			'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"accounts.example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}' \
			>"$work/role.json" &&
		AWS_ACCESS_KEY_ID=bootstrap AWS_SECRET_ACCESS_KEY=bootstrap "${waws[@]}" iam put-role-policy --role-name lf-web --policy-name all --policy-document \
			'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' ||
		return 1
	wkey=$(jq -r .AccessKey.AccessKeyId "$work/wkey.json")
	wsecret=$(jq -r .AccessKey.SecretAccessKey "$work/wkey.json")
	role_arn=$(jq -r .Role.Arn "$work/role.json")
	token_file=$work/web-identity-token
	echo 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJsYWtlZm9ybSJ9.' >"$token_file"
	[[ -n $role_arn && $role_arn != null && -n $wkey && $wkey != null ]]
}
# waws ARGS...: aws on the web identity server, as its IAM user
waws() { AWS_ACCESS_KEY_ID=$wkey AWS_SECRET_ACCESS_KEY=$wsecret "$awsbin" --endpoint-url "$wendpoint" "$@"; }
