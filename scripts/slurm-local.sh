#!/usr/bin/env bash
# Starts (or stops) a single-node Slurm cluster on this machine, for the
# Slurm evaluator's tests and for trying `trgnas search --slurm` locally.
#
#   scripts/slurm-local.sh install   apt-get the packages (root), if missing
#   scripts/slurm-local.sh start     write the config under $SLURM_LOCAL_DIR and start munge, slurmctld, slurmd
#   scripts/slurm-local.sh stop      cancel jobs and stop the daemons
#   scripts/slurm-local.sh env       print the SLURM_CONF line to export
#
# State lives in $SLURM_LOCAL_DIR (default /tmp/trgnas-slurm). Needs root.
set -euo pipefail
dir=${SLURM_LOCAL_DIR:-/tmp/trgnas-slurm}
conf=$dir/slurm.conf
host=$(hostname -s)

say() { echo "slurm-local: $*" >&2; }

install_pkgs() {
	if command -v sbatch >/dev/null && command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then
		say "slurm and munge already installed"
		return
	fi
	say "installing slurmctld slurmd slurm-client munge"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
}

write_conf() {
	mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
	chown -R slurm:slurm "$dir/state" "$dir/log" "$dir/run"
	cat >"$conf" <<CONF
ClusterName=trgnas
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MailProg=/bin/true
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1024 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
	install_pkgs
	write_conf
	install -d -o munge -g munge /run/munge
	if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
		say "starting munged"
		runuser -u munge -- munged
	fi
	export SLURM_CONF=$conf
	if ! { [ -f "$dir/run/slurmctld.pid" ] && kill -0 "$(cat "$dir/run/slurmctld.pid")" 2>/dev/null; }; then
		say "starting slurmctld"
		slurmctld -f "$conf"
	fi
	if ! { [ -f "$dir/run/slurmd.pid" ] && kill -0 "$(cat "$dir/run/slurmd.pid")" 2>/dev/null; }; then
		say "starting slurmd"
		slurmd -f "$conf"
	fi
	for _ in $(seq 1 50); do
		if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
			say "cluster up: $(sinfo -h -o '%P %T %D')"
			echo "export SLURM_CONF=$conf"
			return
		fi
		sleep 0.2
	done
	say "the node did not become idle; logs in $dir/log"
	sinfo >&2 || true
	exit 1
}

stop() {
	export SLURM_CONF=$conf
	scancel --user=root 2>/dev/null || true
	for p in slurmd slurmctld; do
		if [ -f "$dir/run/$p.pid" ]; then
			kill "$(cat "$dir/run/$p.pid")" 2>/dev/null || true
			rm -f "$dir/run/$p.pid"
		fi
	done
	say "stopped"
}

case "${1:-}" in
install) install_pkgs ;;
start) start ;;
stop) stop ;;
env) echo "export SLURM_CONF=$conf" ;;
*) echo "usage: $0 install|start|stop|env" >&2; exit 2 ;;
esac
