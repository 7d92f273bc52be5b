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
