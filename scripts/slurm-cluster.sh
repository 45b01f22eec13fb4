#!/usr/bin/env bash
# A one-machine Slurm cluster for tests: munged, slurmctld and slurmd started directly (no systemd)
# with their configuration and state under STATE_DIR. `stop` ends exactly the daemons `start` began.
# Usage: slurm-cluster.sh start|stop STATE_DIR        (as root; Debian's slurm-wlm and munge)
# After start, use the cluster with: export SLURM_CONF=STATE_DIR/slurm.conf
set -euo pipefail
action=$1
state=$(mkdir -p "$2" && cd "$2" && pwd)
conf=$state/slurm.conf

stop() {
  for daemon in slurmd slurmctld munged; do
    local pidfile=$state/$daemon.pid
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

write_config() {
  local node cpus
  node=$(hostname -s)
  # Declare more CPUs than the machine has, so that the layouts of the templates fit on a small CI
  # machine; Slurm accepts this only with config_overrides and without task binding.
  cpus=8
  cat >"$conf" <<CONF
ClusterName=hybridscope-test
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SlurmdParameters=config_overrides
MpiDefault=pmix
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
EnforcePartLimits=ALL
MailProg=/bin/true
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
KillWait=30
MinJobAge=300
NodeName=$node CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
  stop
  mkdir -p "$state/ctld" "$state/d" "$state/munge"
  write_config
  # munged wants its socket directory to exist and belong to munge.
  install -d -o munge -g munge -m 0755 /run/munge
  chown munge:munge "$state/munge"
  runuser -u munge -- /usr/sbin/munged --pid-file="$state/munge/munged.pid" \
    --log-file="$state/munge/munged.log" --seed-file="$state/munge/seed"
  cp "$state/munge/munged.pid" "$state/munged.pid"
  /usr/sbin/slurmctld -f "$conf"
  /usr/sbin/slurmd -f "$conf"
  export SLURM_CONF=$conf
  for _ in $(seq 100); do
    if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
      echo "slurm-cluster: up ($(sinfo -h -o '%N %c CPUs %t'))"
      return 0
    fi
    sleep 0.1
  done
  echo "slurm-cluster: the node did not come up; logs in $state" >&2
  sinfo >&2 || true
  return 1
}

case $action in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
