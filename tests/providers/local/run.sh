#!/usr/bin/env bash
# The embedded providers, local-storage and local-compute, driven over their
# stdin like lakeform drives them, in a scratch configuration directory.
# What they did is checked on disk with ls, cat and grep, not by asking them.
#
#   LF_PROVIDER_DIR=build/san/bin tests/providers/local/run.sh
#
# One line per check; the last line is `providers: N passed, N failed`.
set -u

dir=${LF_PROVIDER_DIR:-build/bin}
dir=$(cd "$dir" 2>/dev/null && pwd) || {
	echo "no provider directory '${LF_PROVIDER_DIR:-build/bin}'"
	echo "providers: 0 passed, 1 failed"
	exit 1
}
STORAGE=$dir/lakeform-provider-local-storage
COMPUTE=$dir/lakeform-provider-local-compute

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
work=$scratch/config # the configuration directory: the providers' working directory
mkdir -p "$work"
log=$scratch/stderr
: >"$log"
crashes=$scratch/crashes
: >"$crashes"

passed=0
failed=0
check() { # NAME COMMAND...: one check
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name"
		if [[ -n ${last:-} ]]; then echo "     last response: $last"; fi
	fi
}

# rpc PROVIDER METHOD PARAMS: initialize, configure (account acme), then one
# call; sets $last to the call's response line.
last=
rpc() {
	local bin=$1 method=$2 params=$3 out rc
	out=$(cd "$work" && "$bin" 2>>"$log" <<EOF
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1}}
{"jsonrpc":"2.0","id":2,"method":"configure","params":{"settings":{},"account":"acme"}}
{"jsonrpc":"2.0","id":3,"method":"$method","params":$params}
EOF
	)
	rc=$?
	if [[ $rc -ne 0 ]]; then echo "$bin $method exited $rc" >>"$crashes"; fi
	last=$(grep -E '"id":3[,}]' <<<"$out")
	all=$out
}

has() { [[ -n $1 ]] && grep -qF -- "$1" <<<"$last"; }          # the last response holds TEXT
code() { grep -qE "\"code\":$1[,}]" <<<"$last"; } # the last response is error CODE
ok() { grep -q '"result":' <<<"$last"; }
parse_error() { grep -qE '"code":-32700[,}]' <<<"$all"; } # the call was answered -32700 (id null)
listed() { jq -e --arg id "$1" --arg a "$2" '.result.objects | any(.id == $id and .address == $a)' <<<"$last"; } # ID at ADDRESS
# the answer is canonical JSON: keys sorted, compact (the SDK's; lakeform
# then matches a read of an unchanged object with its record byte for byte)
canonical() { [[ -n $last && $(jq -cS . <<<"$last") == "$last" ]]; }
flat() { { tr -d ' \n\t' <"$1"; } 2>/dev/null; } # a JSON file on one line, without spaces
count() { [[ $(ls -A "$1" | wc -l) -eq $2 ]]; }
not_exists() { [[ ! -e $1 && ! -L $1 ]]; }
same() { [[ -n $1 && $1 == "$2" ]]; }
differ() { [[ -n $1 && -n $2 && $1 != "$2" ]]; }
nonempty() { [[ -n $1 ]]; }
not() { ! "$@"; }
no_tmp() { [[ -d $1 ]] && ! ls -A "$1" | grep -q "\.tmp\."; }

S=$work/.lakeform/local/storage
B=$S/buckets
C=$work/.lakeform/local/compute

LAB='{"lakeform/account":"acme","lakeform/address":"ADDR"}'
labels() { sed "s|ADDR|$1|" <<<"$LAB"; }
bucket() { # NAME ADDRESS [PURPOSE] [FORCE]
	echo "{\"type\":\"storage.bucket\",\"address\":\"$2\",\"inputs\":{\"name\":\"$1\",\"region\":\"eu-west-1\",\"purpose\":\"${3:-default-storage}\",\"force_destroy\":${4:-false},\"labels\":$(labels "$2")}}"
}

echo "== local-storage"
check "storage binary exists" test -x "$STORAGE"

rpc "$STORAGE" create "$(bucket acme-main account/acme)"
check "bucket create answers its id" has '"id":"acme-main"'
check "bucket create makes the directory" test -d "$B/acme-main"
check "bucket metadata carries the address label" \
	grep -q '"lakeform/address": "account/acme"' "$B/acme-main/.lakeform-bucket.json"
check "bucket metadata carries the account label" \
	grep -q '"lakeform/account": "acme"' "$B/acme-main/.lakeform-bucket.json"
check "bucket metadata has region and created" \
	grep -q '"region": "eu-west-1"' "$B/acme-main/.lakeform-bucket.json"
created1=$(grep '"created"' "$B/acme-main/.lakeform-bucket.json")
check "no temporary file is left" no_tmp "$B/acme-main"

rpc "$STORAGE" read '{"type":"storage.bucket","address":"account/acme","id":"acme-main","inputs":null}'
check "bucket read by id finds it" has '"exists":true'
check "bucket read by id returns its attributes" has '"purpose":"default-storage"'

rpc "$STORAGE" read '{"type":"storage.bucket","address":"account/acme","id":null,"inputs":null}'
check "bucket read by label finds it" has '"exists":true,"id":"acme-main"'

rpc "$STORAGE" read '{"type":"storage.bucket","address":"account/other","id":null,"inputs":null}'
check "bucket read by an unknown label finds nothing" has '"exists":false'

rpc "$STORAGE" read '{"type":"storage.bucket","address":"account/acme","id":"nope","inputs":null}'
check "bucket read of a missing id finds nothing" has '"exists":false'

rpc "$STORAGE" create "$(bucket acme-main account/acme)"
check "second create returns the same bucket" has '"id":"acme-main"'
check "second create keeps one directory" count "$B" 1
check "second create keeps the metadata" same "$created1" \
	"$(grep '"created"' "$B/acme-main/.lakeform-bucket.json")"

rpc "$STORAGE" create "$(bucket acme-main account/intruder)"
check "create of a name owned by another address is a conflict" code 1002
check "the other address's bucket is untouched" \
	grep -q '"lakeform/address": "account/acme"' "$B/acme-main/.lakeform-bucket.json"

mkdir -p "$B/foreign"
echo "someone's data" >"$B/foreign/data.txt"
rpc "$STORAGE" create "$(bucket foreign account/foreign)"
check "create over a foreign directory is a conflict" code 1002
check "the foreign directory is untouched" count "$B/foreign" 1

mkdir -p "$B/emptyforeign"
rpc "$STORAGE" create "$(bucket emptyforeign account/emptyforeign)"
check "create over an empty foreign directory is a conflict" code 1002
check "no metadata written into the foreign directory" not_exists "$B/emptyforeign/.lakeform-bucket.json"

for bad in '../x' 'a/b' '.hidden' '..' '' 'tab\tname'; do
	rpc "$STORAGE" create "$(bucket "$bad" "account/bad")"
	check "bucket name '$bad' is refused (1003)" code 1003
done
check "nothing escaped the buckets directory" not_exists "$S/x"
check "nothing escaped the root" not_exists "$work/.lakeform/local/x"
check "no bucket 'a' was made for 'a/b'" not_exists "$B/a"

rpc "$STORAGE" update "{\"type\":\"storage.bucket\",\"address\":\"account/acme\",\"id\":\"acme-main\",\"inputs\":{\"name\":\"acme-main\",\"region\":\"eu-west-1\",\"purpose\":\"workspace\",\"force_destroy\":false,\"labels\":{\"lakeform/account\":\"acme\",\"lakeform/address\":\"account/acme\",\"lakeform/team\":\"data\"}},\"prior\":null}"
check "bucket update answers the new attributes" has '"purpose":"workspace"'
check "bucket update rewrites the metadata" grep -q '"purpose": "workspace"' "$B/acme-main/.lakeform-bucket.json"
check "bucket update keeps the new label" grep -q '"lakeform/team": "data"' "$B/acme-main/.lakeform-bucket.json"
check "bucket update keeps created" same "$created1" "$(grep '"created"' "$B/acme-main/.lakeform-bucket.json")"

# encryption: recorded as asked and read back (a hand edit would show as drift)
bucket_enc() { # ENCRYPTION-JSON
	echo "{\"type\":\"storage.bucket\",\"address\":\"account/acme\",\"id\":\"acme-main\",\"inputs\":{\"name\":\"acme-main\",\"region\":\"eu-west-1\",\"purpose\":\"workspace\",\"force_destroy\":false,\"encryption\":$1,\"labels\":{\"lakeform/account\":\"acme\",\"lakeform/address\":\"account/acme\",\"lakeform/team\":\"data\"}},\"prior\":null}"
}
rpc "$STORAGE" update "$(bucket_enc '{"algorithm":"aws:kms","kms_key_id":"alias/acme"}')"
check "bucket update with encryption answers it" has '"encryption":{"algorithm":"aws:kms","kms_key_id":"alias/acme"}'
rpc "$STORAGE" read '{"type":"storage.bucket","address":"account/acme","id":"acme-main","inputs":null}'
check "bucket read reports the recorded encryption" has '"encryption":{"algorithm":"aws:kms","kms_key_id":"alias/acme"}'
rpc "$STORAGE" update "$(bucket_enc '"AES256"')"
check "bucket encryption that is not an object is refused (invalid params)" code -32602
rpc "$STORAGE" update "$(bucket_enc '{"algorithm":"AES256"}')"
check "bucket update changes the encryption in place" has '"encryption":{"algorithm":"AES256"}'

# the user's tags: recorded beside the labels, changed and removed in place
bucket_tags() { # TAGS-JSON
	echo "{\"type\":\"storage.bucket\",\"address\":\"account/acme\",\"id\":\"acme-main\",\"inputs\":{\"name\":\"acme-main\",\"region\":\"eu-west-1\",\"purpose\":\"workspace\",\"labels\":$(labels account/acme),\"tags\":$1},\"prior\":null}"
}
rpc "$STORAGE" update "$(bucket_tags '{"team":"data","cost-center":"4711"}')"
check "bucket update with tags answers them" has '"tags":{"cost-center":"4711","team":"data"}'
check "bucket tags recorded" grep -q '"cost-center": "4711"' "$B/acme-main/.lakeform-bucket.json"
rpc "$STORAGE" read '{"type":"storage.bucket","address":"account/acme","id":"acme-main","inputs":null}'
check "bucket read reports the tags" has '"tags":{"cost-center":"4711","team":"data"}'
check "bucket read answers canonical JSON" canonical
rpc "$STORAGE" update "$(bucket_tags '{"team":"ml"}')"
check "bucket tag changed in place" grep -q '"team": "ml"' "$B/acme-main/.lakeform-bucket.json"
check "bucket tag removed in place" bash -c "! grep -q cost-center '$B/acme-main/.lakeform-bucket.json'"
rpc "$STORAGE" update "$(bucket_tags '{"lakeform/address":"other"}')"
check "a tag in lakeform's namespace is refused (1003)" code 1003
check "the refusal names the tag" has "tag 'lakeform/address' is in lakeform's own namespace"
rpc "$STORAGE" update "$(bucket_tags '{"team":1}')"
check "a tag that is not a string is refused (-32602)" code -32602
rpc "$STORAGE" update "$(bucket_tags '{}')"
check "no tags: none recorded" bash -c "! grep -q '\"tags\"' '$B/acme-main/.lakeform-bucket.json'"

rpc "$STORAGE" update "{\"type\":\"storage.bucket\",\"address\":\"account/acme\",\"id\":\"acme-main\",\"inputs\":{\"name\":\"acme-main\",\"region\":\"us-east-1\",\"purpose\":\"workspace\",\"labels\":$(labels account/acme)},\"prior\":null}"
check "bucket region change in place is refused" code 1003
check "bucket region is unchanged" grep -q '"region": "eu-west-1"' "$B/acme-main/.lakeform-bucket.json"

prefix() { # BUCKET PATH ADDRESS
	echo "{\"type\":\"storage.prefix\",\"address\":\"$3\",\"inputs\":{\"bucket\":\"$1\",\"path\":\"$2\",\"purpose\":\"workspace\",\"labels\":$(labels "$3")}}"
}
rpc "$STORAGE" create "$(prefix nobucket ws/x/ workspace/x)"
check "prefix in a missing bucket is not found (1001)" code 1001
check "that error is not retryable" has '"retryable":false'
check "no bucket directory was made for it" not_exists "$B/nobucket"

rpc "$STORAGE" create "$(prefix acme-main ws/analytics/ workspace/analytics)"
check "prefix create answers bucket/path" has '"id":"acme-main/ws/analytics/"'
check "prefix create makes the directory" test -d "$B/acme-main/ws/analytics"
check "prefix marker carries its labels" \
	grep -q '"lakeform/address": "workspace/analytics"' "$B/acme-main/ws/analytics/.lakeform-prefix.json"

rpc "$STORAGE" create "$(prefix acme-main ws/analytics/ workspace/analytics)"
check "second prefix create returns the same" has '"id":"acme-main/ws/analytics/"'
check "second prefix create keeps one directory" count "$B/acme-main/ws" 1

rpc "$STORAGE" create "$(prefix acme-main ws/analytics/ workspace/other)"
check "prefix owned by another address is a conflict" code 1002

rpc "$STORAGE" read '{"type":"storage.prefix","address":"workspace/analytics","id":null,"inputs":null}'
check "prefix read by label finds it" has '"exists":true,"id":"acme-main/ws/analytics/"'
rpc "$STORAGE" read '{"type":"storage.prefix","address":"workspace/analytics","id":"acme-main/ws/analytics/","inputs":null}'
check "prefix read by id finds it" has '"exists":true'

for bad in '../../etc/' 'ws/../../x/' '/abs/' 'a//b/' 'a/./b/' 'sp ace/'; do
	rpc "$STORAGE" create "$(prefix acme-main "$bad" workspace/bad)"
	check "prefix path '$bad' is refused (1003)" code 1003
done
check "nothing escaped through a prefix" not_exists "$S/x"

rpc "$STORAGE" create '{"type":"storage.policy","address":"policy/acme-main","inputs":{"bucket":"acme-main","statements":[{"principal":"group:analysts","access":"read","path":"ws/analytics/"}],"labels":{"lakeform/account":"acme","lakeform/address":"policy/acme-main"}}}'
check "policy create answers the bucket as id" has '"id":"acme-main"'
check "policy file holds the statements" grep -q '"principal": "group:analysts"' "$B/acme-main/.lakeform-policy.json"
rpc "$STORAGE" create '{"type":"storage.policy","address":"policy/x","inputs":{"bucket":"acme-main","statements":[{"principal":"user:a","access":"write","path":"../"}],"labels":{}}}'
check "policy path escaping is refused" code 1003
rpc "$STORAGE" update '{"type":"storage.policy","address":"policy/acme-main","id":"acme-main","inputs":{"bucket":"acme-main","statements":[{"principal":"user:ann","access":"write","path":""}],"labels":{"lakeform/account":"acme","lakeform/address":"policy/acme-main"}},"prior":null}'
check "policy update rewrites the file" grep -q '"principal": "user:ann"' "$B/acme-main/.lakeform-policy.json"
rpc "$STORAGE" read '{"type":"storage.policy","address":"policy/acme-main","id":null,"inputs":null}'
check "policy read by label finds it" has '"exists":true,"id":"acme-main"'
# reads_ignore_inputs: a read's inputs are skipped, not decoded (a number
# jansson cannot hold would be a parse error if they were); other
# requests' are decoded
rpc "$STORAGE" read '{"type":"storage.policy","address":"policy/acme-main","id":"acme-main","inputs":{"n":123456789012345678901234567890,"s":[{"a":"\"}"}]}}'
check "a read's inputs are not decoded" has '"exists":true,"id":"acme-main"'
rpc "$STORAGE" read '{"type":"storage.policy","address":"policy/acme-main","id":"acme-main","inputs":{"n":1,"n":[}}'
check "a read with inputs that are not JSON is a parse error" parse_error
rpc "$STORAGE" update '{"type":"storage.policy","address":"policy/acme-main","id":"acme-main","inputs":{"n":123456789012345678901234567890},"prior":null}'
check "an update's inputs are decoded" parse_error
# updates_ignore_prior: an update's prior (the recorded attributes: a
# policy's statements) is skipped the same way; its inputs are not
pol='{"bucket":"acme-main","statements":[{"principal":"user:ann","access":"write","path":""}],"labels":{"lakeform/account":"acme","lakeform/address":"policy/acme-main"}}'
rpc "$STORAGE" update "{\"type\":\"storage.policy\",\"address\":\"policy/acme-main\",\"id\":\"acme-main\",\"inputs\":$pol,\"prior\":{\"n\":123456789012345678901234567890}}"
check "an update's prior is not decoded" has '"result":{"attributes":{"bucket":"acme-main"'
rpc "$STORAGE" update "{\"type\":\"storage.policy\",\"address\":\"policy/acme-main\",\"id\":\"acme-main\",\"inputs\":$pol,\"prior\":{\"n\":1,\"n\":[}}"
check "an update with a prior that is not JSON is a parse error" parse_error
# an update decodes only the labels of the policy it replaces, to know
# whose it is: another resource's policy is refused with its statements
# undecoded (here a number jansson cannot hold), and a policy file that is
# not JSON is an error
cp "$B/acme-main/.lakeform-policy.json" "$scratch/policy.keep"
sed -i 's|"lakeform/address": "policy/acme-main"|"lakeform/address": "policy/other"|; s|"principal": "user:ann"|"principal": 123456789012345678901234567890|' "$B/acme-main/.lakeform-policy.json"
rpc "$STORAGE" update "{\"type\":\"storage.policy\",\"address\":\"policy/acme-main\",\"id\":\"acme-main\",\"inputs\":$pol,\"prior\":null}"
check "an update of another resource's policy is refused by its labels alone" has "belongs to 'policy/other'"
echo 'not json' > "$B/acme-main/.lakeform-policy.json"
rpc "$STORAGE" update "{\"type\":\"storage.policy\",\"address\":\"policy/acme-main\",\"id\":\"acme-main\",\"inputs\":$pol,\"prior\":null}"
check "an update over a policy file that is not JSON fails" has 'not a json object'
cp "$scratch/policy.keep" "$B/acme-main/.lakeform-policy.json"
rpc "$STORAGE" update "{\"type\":\"storage.policy\",\"address\":\"policy/acme-main\",\"id\":\"acme-main\",\"inputs\":$pol,\"prior\":null}"
check "the policy restored is updated again" has '"result":{"attributes":{"bucket":"acme-main"'
rpc "$STORAGE" list '{"type":"storage.bucket"}'
check "bucket list names the labelled bucket" listed acme-main account/acme
rpc "$STORAGE" list '{"type":"storage.prefix"}'
check "prefix list names the labelled prefix" listed acme-main/ws/analytics/ workspace/analytics
rpc "$STORAGE" list '{"type":"storage.policy"}'
check "policy list names the policy" listed acme-main policy/acme-main
mkdir -p "$B/handmade"
rpc "$STORAGE" list '{"type":"storage.bucket"}'
check "bucket list leaves out a directory made by hand" not has '"handmade"'
rmdir "$B/handmade"
# "attributes": false (what lakeform's drift and refresh send): ids and
# addresses only, the same objects, another account's still left out
rpc "$STORAGE" list '{"type":"storage.bucket"}'
check "bucket list carries the attributes by default" has '"attributes":{'
mkdir -p "$B/theirs"
echo '{"name":"theirs","labels":{"lakeform/account":"other","lakeform/address":"account/other"}}' >"$B/theirs/.lakeform-bucket.json"
rpc "$STORAGE" list '{"type":"storage.bucket","attributes":false}'
check "bucket list without attributes: the id and the address" has '"result":{"objects":[{"address":"account/acme","id":"acme-main"}]}'
rm -r "$B/theirs"
ln -s ws "$B/acme-main/linked"
rpc "$STORAGE" list '{"type":"storage.prefix","attributes":false}'
check "prefix list without attributes: the id and the address, no link followed" has '"result":{"objects":[{"address":"workspace/analytics","id":"acme-main/ws/analytics/"}]}'
rm "$B/acme-main/linked"
rpc "$STORAGE" list '{"type":"storage.policy","attributes":false}'
check "policy list without attributes: the id and the address" has '"result":{"objects":[{"address":"policy/acme-main","id":"acme-main"}]}'
rpc "$STORAGE" list '{"type":"storage.policy","attributes":true}'
check "policy list with attributes: true carries them" has '"attributes":{'
rpc "$STORAGE" list '{"type":"storage.nothing"}'
check "list of an unknown type is invalid params" code -32602

echo "part-0" >"$B/acme-main/ws/analytics/part-0.parquet"
rpc "$STORAGE" delete '{"type":"storage.bucket","address":"account/acme","id":"acme-main","attributes":null}'
check "delete of a bucket holding data is refused" code 1002
check "the refusal says the bucket is not empty" has "bucket 'acme-main' is not empty"
check "the refused bucket is still there" test -f "$B/acme-main/ws/analytics/part-0.parquet"

rpc "$STORAGE" delete '{"type":"storage.prefix","address":"workspace/analytics","id":"acme-main/ws/analytics/","attributes":null}'
check "prefix delete with user data succeeds" ok
check "prefix delete removes the marker" not_exists "$B/acme-main/ws/analytics/.lakeform-prefix.json"
check "prefix delete leaves the user data" test -f "$B/acme-main/ws/analytics/part-0.parquet"
check "prefix delete says so in the log" grep -q "holds data" "$log"

rm "$B/acme-main/ws/analytics/part-0.parquet"
rpc "$STORAGE" create "$(prefix acme-main ws/analytics/ workspace/analytics)"
rpc "$STORAGE" delete '{"type":"storage.prefix","address":"workspace/analytics","id":"acme-main/ws/analytics/","attributes":null}'
check "prefix delete of an empty prefix removes its directory" not_exists "$B/acme-main/ws/analytics"
check "and its parent it alone kept" not_exists "$B/acme-main/ws"

# a bucket holding only lakeform's files and empty directories is deletable
rpc "$STORAGE" create "$(prefix acme-main cat/sales/ catalog/sales)"
mkdir -p "$B/acme-main/empty/dir"
rpc "$STORAGE" delete '{"type":"storage.bucket","address":"account/other","id":"acme-main","attributes":null}'
check "delete by another address is a conflict" code 1002
rpc "$STORAGE" delete '{"type":"storage.bucket","address":"account/acme","id":"acme-main","attributes":null}'
check "bucket with only markers, policy and empty dirs is deleted" ok
check "its directory is gone" not_exists "$B/acme-main"
check "no staging or trash is left" not_exists "$S/.trash/acme-main"
rpc "$STORAGE" delete '{"type":"storage.bucket","address":"account/acme","id":"acme-main","attributes":null}'
check "deleting a missing bucket is fine" ok
rpc "$STORAGE" read '{"type":"storage.bucket","address":"account/acme","id":"acme-main","inputs":null}'
check "a deleted bucket reads as missing" has '"exists":false'

rpc "$STORAGE" delete '{"type":"storage.bucket","address":"account/foreign","id":"foreign","attributes":null}'
check "delete of a foreign directory is refused" code 1002
check "the foreign directory survives" test -f "$B/foreign/data.txt"

rpc "$STORAGE" create "$(bucket scratch-b account/scratch workspace true)"
echo data >"$B/scratch-b/file"
rpc "$STORAGE" delete '{"type":"storage.bucket","address":"account/scratch","id":"scratch-b","attributes":null}'
check "force_destroy deletes a bucket holding data" ok
check "the force-destroyed bucket is gone" not_exists "$B/scratch-b"

ln -s /tmp "$B/linked"
rpc "$STORAGE" create "$(prefix linked ws/ workspace/linked)"
check "a bucket that is a symbolic link is not used" code 1001

echo "== local-compute"
check "compute binary exists" test -x "$COMPUTE"
net() { # NAME PLANE REGION [CIDR]
	local cidr=
	if [[ -n ${4:-} ]]; then cidr=",\"cidr\":\"$4\""; fi
	echo "{\"type\":\"compute.network\",\"address\":\"network/$1\",\"inputs\":{\"name\":\"$1\",\"region\":\"$3\",\"plane\":\"$2\",\"internal\":true$cidr,\"labels\":$(labels "network/$1")}}"
}
cidr_of() { flat "$C/networks/$1.json" | grep -o '"cidr":"[^"]*"'; }

rpc "$COMPUTE" create "$(net sl-one serverless eu-west-1)"
check "serverless network create answers its id" has '"id":"sl-one"'
check "serverless network record exists" test -f "$C/networks/sl-one.json"
check "serverless network gets a /24 of 100.64.0.0/10" grep -qE '"cidr": "100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.[0-9]+\.0/24"' "$C/networks/sl-one.json"
check "the answer carries the cidr" has '"cidr":"100.'
rpc "$COMPUTE" create "$(net sl-two serverless eu-west-1)"
check "second serverless network is created" ok
check "two serverless networks of a region get different /24s" differ "$(cidr_of sl-one)" "$(cidr_of sl-two)"
check "the second cidr was recorded" nonempty "$(cidr_of sl-two)"
rpc "$COMPUTE" create "$(net sl-one serverless eu-west-1)"
check "second serverless create returns the same network" has "$(cidr_of sl-one | tr -d ' ')"
check "it keeps one record" same "$(ls "$C/networks" | grep -c '^sl-one')" 1

rpc "$COMPUTE" create "$(net cl-one classic eu-west-1 10.0.0.0/16)"
check "classic network keeps its cidr" grep -q '"cidr": "10.0.0.0/16"' "$C/networks/cl-one.json"
rpc "$COMPUTE" create "$(net cl-two classic eu-west-1 10.0.128.0/17)"
check "overlapping classic cidr in one region is a conflict" code 1002
check "the overlapping network was not recorded" not_exists "$C/networks/cl-two.json"
rpc "$COMPUTE" create "$(net cl-three classic eu-west-1 100.64.0.0/23)"
check "classic cidr over a serverless block is a conflict" code 1002
rpc "$COMPUTE" create "$(net cl-four classic us-east-1 10.0.0.0/16)"
check "the same cidr in another region is fine" ok
rpc "$COMPUTE" create "$(net cl-five classic eu-west-1 10.1.0.0/16)"
check "a disjoint classic cidr is fine" ok
rpc "$COMPUTE" create "$(net cl-bad classic eu-west-1 10.0.0.0/33)"
check "an invalid cidr is refused (1003)" code 1003
rpc "$COMPUTE" create "$(net cl-none classic eu-west-1)"
check "a classic network without a cidr is refused (1003)" code 1003

for bad in '../x' 'a/b' '.hidden'; do
	rpc "$COMPUTE" create "$(net "$bad" serverless eu-west-1)"
	check "network name '$bad' is refused (1003)" code 1003
done
check "nothing escaped the compute root" not_exists "$C/x.json"
check "nothing escaped the networks directory" not_exists "$work/.lakeform/local/x.json"

rpc "$COMPUTE" create "{\"type\":\"compute.network\",\"address\":\"network/sl-one\",\"inputs\":{\"name\":\"sl-one\",\"region\":\"eu-west-1\",\"plane\":\"serverless\",\"internal\":true,\"labels\":$(labels network/other)}}"
check "a network label for another address is refused" code 1003
rpc "$COMPUTE" create "$(net sl-one serverless eu-west-1 | sed 's|"address":"network/sl-one"|"address":"network/thief"|; s|"lakeform/address":"network/sl-one"|"lakeform/address":"network/thief"|')"
check "a network name owned by another address is a conflict" code 1002

# durable: false writes the same files without a single fsync (strace counts)
session() { # SETTINGS PARAMS: configure with the settings, then one create
	printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1}}' \
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"configure\",\"params\":{\"settings\":$1,\"account\":\"acme\"}}" \
		"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"create\",\"params\":$2}"
}
# syncs SETTINGS PARAMS [PROVIDER]: the fsync and syncfs calls of one
# session (one create at a time: a prefix needs its bucket made first).
# LeakSanitizer cannot run under ptrace.
syncs() {
	(cd "$work" && session "$1" "$2" | ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=fsync,fdatasync,syncfs -o "$scratch/strace" "${3:-$STORAGE}" >/dev/null 2>>"$log")
	grep -c 'fsync\|fdatasync\|syncfs' "$scratch/strace"
}
n_bucket=$(syncs '{}' "$(bucket durable-one account/durable-one)")
cp "$scratch/strace" "$scratch/strace.bucket"
n_prefix=$(syncs '{}' "$(prefix durable-one a/b/ workspace/durable-one)")
cp "$scratch/strace" "$scratch/strace.prefix"
n_fast=$(syncs '{"durable":false}' "$(bucket fast-one account/fast-one)")
n_fast_prefix=$(syncs '{"durable":false}' "$(prefix fast-one a/b/ workspace/fast-one)")
n_policy=$(syncs '{}' '{"type":"storage.policy","address":"policy/durable-one","inputs":{"bucket":"durable-one","statements":[{"principal":"group:analysts","access":"read","path":"a/"}],"labels":{"lakeform/account":"acme","lakeform/address":"policy/durable-one"}}}')
cp "$scratch/strace" "$scratch/strace.policy"
n_net=$(syncs '{}' "$(net sync-one serverless eu-north-1)" "$COMPUTE")
n_fast_net=$(syncs '{"durable":false}' "$(net fast-net serverless eu-north-1)" "$COMPUTE")
# a bucket: its meta file and its directory before it is renamed into
# place (fsync), then buckets/; a prefix a/b/ (the marker, b/, a/ and the
# bucket's directory), a new policy (its file and the bucket's directory)
# and a new network (its record and networks/): all that comes after the
# rename is synced after the root's lock by a group commit, one syncfs of
# the file system for every change finished meanwhile (here one)
check "a durable bucket syncs 3 times ($n_bucket)" same "$n_bucket" 3
check "a durable bucket: two fsyncs before its rename, one syncfs" same \
	"$(grep -c 'syncfs(' "$scratch/strace.bucket")" 1
check "a durable new policy is synced once, by syncfs ($n_policy)" same "$n_policy" 1
check "the policy's sync is a syncfs" grep -q '^[0-9]* *syncfs(' "$scratch/strace.policy"
check "durable: the policy was made" test -f "$B/durable-one/.lakeform-policy.json"
check "a durable prefix a/b/ is synced once, by syncfs ($n_prefix)" same "$n_prefix" 1
check "the prefix's sync is a syncfs" grep -q '^[0-9]* *syncfs(' "$scratch/strace.prefix"
check "a durable new network is synced once, by syncfs ($n_net)" same "$n_net" 1
check "durable: false makes no sync for a network" same "$n_fast_net" 0
check "durable: false still makes the network" test -f "$C/networks/fast-net.json"
check "durable: the prefix was made" test -f "$B/durable-one/a/b/.lakeform-prefix.json"
check "durable: false makes no fsync for a bucket" same "$n_fast" 0
check "durable: false makes no fsync for a prefix" same "$n_fast_prefix" 0
check "durable: false still makes the bucket" test -f "$B/fast-one/.lakeform-bucket.json"
check "durable: false still makes the prefix" test -f "$B/fast-one/a/b/.lakeform-prefix.json"
# many changes of one process at once: its workers wait in line for the
# root's lock, none polls a flock that another worker holds (strace)
{
	echo '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1}}'
	echo '{"jsonrpc":"2.0","id":2,"method":"configure","params":{"settings":{},"account":"acme"}}'
	for i in $(seq 1 24); do
		echo "{\"jsonrpc\":\"2.0\",\"id\":$((i + 2)),\"method\":\"create\",\"params\":$(prefix durable-one line/p$i/ workspace/line-$i)}"
	done
} >"$scratch/in-line"
(cd "$work" && ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=flock -o "$scratch/strace.line" "$STORAGE" <"$scratch/in-line" >"$scratch/out-line" 2>>"$log")
check "24 prefixes made at once by one process" same "$(grep -c '"result":{"attributes":{.*"id":"durable-one/line/p' "$scratch/out-line")" 24
check "its workers took the root's flock once a change ($(grep -c 'LOCK_EX' "$scratch/strace.line"))" \
	same "$(grep -c 'LOCK_EX' "$scratch/strace.line")" 24
check "and were never refused it" not grep -q 'EWOULDBLOCK\|EAGAIN' "$scratch/strace.line"
(cd "$work" && session '{"durable":"no"}' "$(bucket bad-one account/bad-one)" | "$STORAGE" >"$scratch/out-bad" 2>>"$log")
last=$(grep -E '"id":2[,}]' "$scratch/out-bad")
check "durable must be true or false" code 1003

# two processes allocate at once: every block handed out once
for p in a b; do
	(
		cd "$work" || exit 1
		{
			echo '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1}}'
			echo '{"jsonrpc":"2.0","id":2,"method":"configure","params":{"settings":{},"account":"acme"}}'
			for i in 1 2 3 4 5 6; do
				echo "{\"jsonrpc\":\"2.0\",\"id\":$((i + 2)),\"method\":\"create\",\"params\":$(net "par-$p$i" serverless eu-central-1)}"
			done
		} | "$COMPUTE" >"$scratch/par-$p" 2>>"$log"
	) &
done
wait
check "parallel processes created all twelve networks" same "$(ls "$C/networks" | grep -c '^par-')" 12
check "parallel processes handed out twelve different blocks" same \
	"$(for f in "$C"/networks/par-*.json; do flat "$f" | grep -o '"cidr":"[^"]*"'; done | sort -u | wc -l)" 12

# one process keeps its listing of networks/ between creates: a network
# made meanwhile by another process, or written by hand, is still seen
mkfifo "$scratch/hold"
(cd "$work" && exec "$COMPUTE" <"$scratch/hold" >"$scratch/out-hold" 2>>"$log") &
holder=$!
exec 7>"$scratch/hold"
# hold_create N NAME: create NAME (request id N) and wait for its answer
hold_create() {
	echo "{\"jsonrpc\":\"2.0\",\"id\":$1,\"method\":\"create\",\"params\":$(net "$2" serverless ap-east-9)}" >&7
	for _ in $(seq 200); do
		grep -qE "\"id\":$1[,}]" "$scratch/out-hold" && break
		sleep 0.05
	done
	last=$(grep -E "\"id\":$1[,}]" "$scratch/out-hold")
}
echo '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1}}' >&7
echo '{"jsonrpc":"2.0","id":2,"method":"configure","params":{"settings":{},"account":"acme"}}' >&7
hold_create 3 hold-1
check "a kept process makes a network" ok
rpc "$COMPUTE" create "$(net hold-2 serverless ap-east-9)"
check "another process makes one in the same region meanwhile" ok
hold_create 4 hold-3
check "the kept process's next network avoids the other process's block" \
	not grep -qF "$(cidr_of hold-2)" <<<"$(cidr_of hold-1) $(cidr_of hold-3)"
# by hand, the block the kept process would take next (the lowest free)
taken=$(for n in 1 2 3; do cidr_of hold-$n; done)
for b in $(seq 0 255); do grep -qF "\"cidr\":\"100.64.$b.0/24\"" <<<"$taken" || break; done
sed -e 's/hold-3/hold-4/g' -e "s|\"cidr\": \"[^\"]*\"|\"cidr\": \"100.64.$b.0/24\"|" \
	"$C/networks/hold-3.json" >"$C/networks/hold-4.json"
hold_create 5 hold-5
check "the kept process's next network avoids a record written by hand" \
	differ "$(cidr_of hold-5)" "\"cidr\":\"100.64.$b.0/24\""
check "and every block of the region is handed out once" same \
	"$(for n in 1 2 3 4 5; do cidr_of hold-$n; done | sort -u | wc -l)" 5
exec 7>&-
wait "$holder"

rpc "$COMPUTE" update "{\"type\":\"compute.network\",\"address\":\"network/cl-one\",\"id\":\"cl-one\",\"inputs\":{\"name\":\"cl-one\",\"region\":\"eu-west-1\",\"plane\":\"classic\",\"internal\":true,\"cidr\":\"10.0.0.0/16\",\"labels\":{\"lakeform/account\":\"acme\",\"lakeform/address\":\"network/cl-one\",\"lakeform/env\":\"prod\"}},\"prior\":null}"
check "network label update in place" grep -q '"lakeform/env": "prod"' "$C/networks/cl-one.json"
rpc "$COMPUTE" update "{\"type\":\"compute.network\",\"address\":\"network/cl-one\",\"id\":\"cl-one\",\"inputs\":{\"name\":\"cl-one\",\"region\":\"eu-west-1\",\"plane\":\"classic\",\"internal\":true,\"cidr\":\"10.9.0.0/16\",\"labels\":{}},\"prior\":null}"
check "network cidr change in place is refused" code 1003

pool() { # NAME NETWORK NODES IMAGE [CPUS]
	echo "{\"type\":\"compute.node_pool\",\"address\":\"pool/$1\",\"inputs\":{\"name\":\"$1\",\"network\":\"$2\",\"nodes\":$3,\"cpus\":${5:-2},\"memory_mb\":4096,\"image\":\"$4\",\"labels\":$(labels "pool/$1")}}"
}
poolupd() {
	echo "{\"type\":\"compute.node_pool\",\"address\":\"pool/$1\",\"id\":\"$1\",\"inputs\":{\"name\":\"$1\",\"network\":\"$2\",\"nodes\":$3,\"cpus\":${5:-2},\"memory_mb\":4096,\"image\":\"$4\",\"labels\":$(labels "pool/$1")},\"prior\":null}"
}
node_of() { flat "$C/node_pools/$1.json" | grep -o "{[^{}]*\"id\":\"$2\"[^{}]*}"; }
nodes_in() { flat "$C/node_pools/$1.json" | grep -o '"id":"[^"]*"' | tr '\n' ' '; }

rpc "$COMPUTE" create "$(pool wp nonet 2 img:1)"
check "node pool on a missing network is not found (1001)" code 1001
check "no node pool record for it" not_exists "$C/node_pools/wp.json"

rpc "$COMPUTE" create "$(pool wp cl-one 3 img:1)"
check "node pool create answers its id" has '"id":"wp"'
check "node pool record lists three nodes" same "$(nodes_in wp)" '"id":"wp-1" "id":"wp-2" "id":"wp-3" '
check "node pool attributes count the nodes" has '"nodes":3'
n1=$(node_of wp wp-1)
n2=$(node_of wp wp-2)
check "node records carry their spec" grep -q '"image":"img:1"' <<<"$n1"

rpc "$COMPUTE" create "$(pool wp cl-one 3 img:1)"
check "second node pool create returns the same" has '"id":"wp"'
check "it keeps three nodes" same "$(nodes_in wp)" '"id":"wp-1" "id":"wp-2" "id":"wp-3" '

rpc "$COMPUTE" read '{"type":"compute.node_pool","address":"pool/wp","id":null,"inputs":null}'
check "node pool read by label finds it" has '"exists":true,"id":"wp"'
check "node pool read answers canonical JSON" canonical
rpc "$COMPUTE" list '{"type":"compute.node_pool"}'
check "node pool list names it with its address" listed wp pool/wp
rpc "$COMPUTE" list '{"type":"compute.network"}'
check "network list names the networks" has '"id":"cl-one"'
rpc "$COMPUTE" list '{"type":"compute.node_pool","attributes":false}'
check "node pool list without attributes: the id and the address" has '"result":{"objects":[{"address":"pool/wp","id":"wp"}]}'
rpc "$COMPUTE" list '{"type":"compute.network","attributes":false}'
check "network list without attributes names them, no attributes" eval 'has "\"id\":\"cl-one\"" && not has "\"attributes\""'

rpc "$COMPUTE" update "$(poolupd wp cl-one 5 img:1)"
check "resize up answers five nodes" has '"nodes":5'
check "resize up adds wp-4 and wp-5" same "$(nodes_in wp)" '"id":"wp-1" "id":"wp-2" "id":"wp-3" "id":"wp-4" "id":"wp-5" '
check "resize up leaves wp-1 as it was" same "$(node_of wp wp-1)" "$n1"
check "resize up leaves wp-2 as it was" same "$(node_of wp wp-2)" "$n2"
check "resize up rolls nothing" has '"rolled":[]'

rpc "$COMPUTE" update "$(poolupd wp cl-one 2 img:1)"
check "resize down keeps wp-1 and wp-2" same "$(nodes_in wp)" '"id":"wp-1" "id":"wp-2" '
check "resize down leaves wp-1 as it was" same "$(node_of wp wp-1)" "$n1"

rpc "$COMPUTE" update "$(poolupd wp cl-one 3 img:2)"
check "a new image rolls the existing nodes" has '"rolled":["wp-1","wp-2"]'
check "rolled nodes have the new image" grep -q '"image":"img:2"' <<<"$(node_of wp wp-1)"
check "no node has the old image" not grep -q 'img:1' "$C/node_pools/wp.json"
check "the added node is wp-3" same "$(nodes_in wp)" '"id":"wp-1" "id":"wp-2" "id":"wp-3" '

rpc "$COMPUTE" delete '{"type":"compute.network","address":"network/cl-one","id":"cl-one","attributes":null}'
check "a network with a node pool is not deleted" code 1002
check "its record stays" test -f "$C/networks/cl-one.json"

# a pool changing networks: updated in place, its nodes moved one by one
nodes_before=$(nodes_in wp)
rpc "$COMPUTE" update "$(poolupd wp cl-missing 3 img:2)"
check "moving a node pool to a network that does not exist is refused" code 1001
check "its nodes stay where they were" not grep -q 'cl-missing' "$C/node_pools/wp.json"
rpc "$COMPUTE" update "$(poolupd wp cl-five 3 img:2)"
check "moving a node pool to another network is an update" ok
check "the pool is on the new network" has '"network":"cl-five","nodes":3'
check "the same nodes, none rolled" \
	bash -c '[[ "$1" == "$2" ]] && grep -qF "\"rolled\":[]" <<<"$3"' _ "$(nodes_in wp)" "$nodes_before" "$last"
check "every node is on the new network" \
	same "$(flat "$C/node_pools/wp.json" | grep -o '"network":"[^"]*"' | sort | uniq -c | tr -s ' ')" ' 4 "network":"cl-five"'
# a move cut short: one node still on the old network keeps it
jq '.nodes[1].network = "cl-one"' "$C/node_pools/wp.json" >"$C/wp.tmp" && mv "$C/wp.tmp" "$C/node_pools/wp.json"
rpc "$COMPUTE" delete '{"type":"compute.network","address":"network/cl-one","id":"cl-one","attributes":null}'
check "a network that still has a node of a moving pool is not deleted" code 1002
check "the error names the node" has "still has node 'wp-2' of node pool 'wp'"
rpc "$COMPUTE" update "$(poolupd wp cl-five 3 img:2)"
check "the next update finishes the move" not grep -q '"cl-one"' "$C/node_pools/wp.json"
rpc "$COMPUTE" update "$(poolupd wp cl-one 3 img:2)"
check "and the pool moves back" has '"network":"cl-one","nodes":3'
rpc "$COMPUTE" delete '{"type":"compute.node_pool","address":"pool/wp","id":"wp","attributes":null}'
check "node pool delete succeeds" ok
check "node pool record is gone" not_exists "$C/node_pools/wp.json"
rpc "$COMPUTE" delete '{"type":"compute.network","address":"network/cl-one","id":"cl-one","attributes":null}'
check "network delete succeeds" ok
check "network record is gone" not_exists "$C/networks/cl-one.json"
rpc "$COMPUTE" delete '{"type":"compute.network","address":"network/cl-one","id":"cl-one","attributes":null}'
check "deleting a missing network is fine" ok
rpc "$COMPUTE" read '{"type":"compute.network","address":"network/cl-one","id":"cl-one","inputs":null}'
check "a deleted network reads as missing" has '"exists":false'
rpc "$COMPUTE" delete '{"type":"compute.network","address":"network/thief","id":"sl-one","attributes":null}'
check "deleting another address's network is a conflict" code 1002

last=
check "no provider process exited with an error" test ! -s "$crashes"
if [[ -s $crashes ]]; then sed 's/^/     /' "$crashes"; fi
check "no sanitizer report on stderr" not grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$log"

echo "providers: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
