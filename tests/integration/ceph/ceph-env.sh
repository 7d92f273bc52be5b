# ceph-env.sh - sourced by tests/integration/ceph/run.sh: a throwaway Ceph
# cluster with an S3 gateway, all of it under one directory, on 127.0.0.1.
#
# ceph_start DIR API_NAME: one monitor, one OSD on memstore (in memory: no
# disk to prepare), no manager, no authentication between the daemons
# (auth none; the S3 gateway still checks signatures), messenger v2 only.
# The S3 user and its key are made with radosgw-admin before radosgw
# starts: that first radosgw-admin call creates the default zone and
# zonegroup, whose `api_name` (what GetBucketLocation answers) is then set
# to API_NAME; radosgw reads it only when it starts.  Sets $endpoint,
# $ceph_why (the reason, when it returns 1), exports AWS_* for lakeform
# and aws.  ceph_stop stops the daemons by the pids they wrote, only while
# those pids still run this cluster's configuration, and removes DIR.
ceph_dir=
ceph_why=
ceph_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ceph_pick_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		ceph_port_free "$p" && ceph_port_free "$((p + 1))" && { echo "$p"; return 0; }
	done
	return 1
}
ceph_start() {
	ceph_dir=$1
	local api=$2 mon rgw osd_lo uuid id fsid conf
	for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
		if ! command -v "$tool" >/dev/null; then
			ceph_why="no $tool (make deps installs ceph-mon, ceph-osd, radosgw, ceph-common)"
			return 1
		fi
	done
	mon=$(ceph_pick_port) && rgw=$(ceph_pick_port) && osd_lo=$(ceph_pick_port) || {
		ceph_why="no free port on 127.0.0.1"
		return 1
	}
	mkdir -p "$ceph_dir"/{run,log,rgw,mon.a,crash}
	conf=$ceph_dir/ceph.conf
	fsid=$(cat /proc/sys/kernel/random/uuid)
	# the OSD binds four ports: keep them in a range of our own
	cat >"$conf" <<CONF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$mon
mon_initial_members = a
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_allow_pool_size_one = true
mon_max_pg_per_osd = 1000
osd_crush_chooseleaf_type = 0
run_dir = $ceph_dir/run
admin_socket = $ceph_dir/run/\$name.asok
log_file = $ceph_dir/log/\$name.log
pid_file = $ceph_dir/run/\$name.pid
keyring = $ceph_dir/keyring
crash_dir = $ceph_dir/crash
mon_cluster_log_file = $ceph_dir/log/cluster.log
ms_bind_ipv6 = false
ms_bind_msgr1 = false
ms_bind_port_min = $osd_lo
ms_bind_port_max = $((osd_lo + 19))
ms_mon_client_mode = crc
ms_client_mode = crc
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
mon_mgr_mkfs_grace = 31536000
paxos_propose_interval = 0.1
osd_objectstore = memstore
memstore_device_bytes = 1073741824
[mon]
mon_data = $ceph_dir/mon.\$id
[osd]
osd_data = $ceph_dir/osd.\$id
osd_journal = $ceph_dir/osd.\$id/journal
[client]
admin_socket =
log_file = $ceph_dir/log/client.log
[client.rgw.a]
admin_socket = $ceph_dir/run/\$name.asok
log_file = $ceph_dir/log/\$name.log
rgw_frontends = beast endpoint=127.0.0.1:$rgw
rgw_data = $ceph_dir/rgw
CONF
	: >"$ceph_dir/keyring"
	local c="timeout 30 ceph -c $conf --connect-timeout 20"
	monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon]" "$ceph_dir/monmap" >/dev/null &&
		ceph-mon -c "$conf" -i a --mkfs --monmap "$ceph_dir/monmap" &&
		ceph-mon -c "$conf" -i a && $c mon stat >/dev/null || {
		ceph_why="the monitor did not start (see $ceph_dir/log)"
		return 1
	}
	uuid=$(cat /proc/sys/kernel/random/uuid)
	id=$($c osd new "$uuid") && mkdir -p "$ceph_dir/osd.$id" &&
		ceph-osd -c "$conf" -i "$id" --mkfs --osd-uuid "$uuid" 2>>"$ceph_dir/log/osd.err" &&
		ceph-osd -c "$conf" -i "$id" 2>>"$ceph_dir/log/osd.err" || {
		ceph_why="the OSD did not start (see $ceph_dir/log)"
		return 1
	}
	local up=0
	for _ in $(seq 120); do
		up=$($c osd stat -f json 2>/dev/null | jq -r .num_up_osds)
		[[ $up == 1 ]] && break
		sleep 0.5
	done
	[[ $up == 1 ]] || {
		ceph_why="the OSD did not come up in 60 s"
		return 1
	}
	local adm="timeout 120 radosgw-admin -c $conf"
	$adm user create --uid=lakeform --display-name=lakeform \
		--access-key=LFCEPHACCESSKEY00001 --secret-key=lfCephSecretKey000000000000000000000001 \
		>/dev/null &&
		$adm zonegroup get --rgw-zonegroup=default | jq --arg a "$api" '.api_name = $a' \
			>"$ceph_dir/zonegroup.json" &&
		$adm zonegroup set --rgw-zonegroup=default --infile "$ceph_dir/zonegroup.json" \
			>/dev/null || {
		ceph_why="radosgw-admin could not make the user or set the zonegroup"
		return 1
	}
	timeout 60 radosgw -c "$conf" -n client.rgw.a || {
		ceph_why="radosgw did not start (see $ceph_dir/log)"
		return 1
	}
	endpoint=http://127.0.0.1:$rgw
	for _ in $(seq 240); do
		curl -fs -o /dev/null "$endpoint/" && break
		sleep 0.25
	done
	curl -fs -o /dev/null "$endpoint/" || {
		ceph_why="radosgw does not answer at $endpoint"
		return 1
	}
	export AWS_CONFIG_FILE=$ceph_dir/aws-config AWS_SHARED_CREDENTIALS_FILE=$ceph_dir/aws-credentials
	unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_ENDPOINT_URL_S3
	export AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=LFCEPHACCESSKEY00001
	export AWS_SECRET_ACCESS_KEY=lfCephSecretKey000000000000000000000001
	export AWS_ENDPOINT_URL=$endpoint AWS_PAGER= AWS_EC2_METADATA_DISABLED=true
}
ceph_stop() {
	local f p
	[[ -n $ceph_dir && -d $ceph_dir ]] || return 0
	# radosgw, then the OSD, then the monitor: each by the pid it wrote
	for f in "$ceph_dir"/run/client.*.pid "$ceph_dir"/run/osd.*.pid "$ceph_dir"/run/mon.*.pid; do
		[[ -s $f ]] || continue
		p=$(cat "$f")
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$ceph_dir/ceph.conf" || continue
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq 40); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.25
		done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p"
	done
	rm -rf "$ceph_dir"
}
