#!/usr/bin/env bash
# A one-machine Slurm cluster for tests: munged, slurmctld and slurmd started directly (no systemd)
# with their configuration and state under STATE_DIR. `stop` ends exactly the daemons `start` began.
# Usage: slurm-cluster.sh start STATE_DIR [--nodes N]    (as root; Debian's slurm-wlm and munge)
#        slurm-cluster.sh stop STATE_DIR
# After start, use the cluster with: export SLURM_CONF=STATE_DIR/slurm.conf
#
# Partition `debug` (the default): this machine as one node of 8 CPUs, named by its host name.
# Partition `multi` (with --nodes N, N = 2 or 3): N more nodes hs-node1..hs-nodeN of 4 CPUs each, made
# on this machine like scripts/multinode.sh makes them for mpirun. Each has its own slurmd, started
# by `slurmd -N hs-nodeK` in its own
#   - UTS namespace, host name hs-nodeK (what `hostname` and MPI_Get_processor_name say in its steps);
#   - time namespace, CLOCK_MONOTONIC and CLOCK_BOOTTIME K*3600+K*7 s ahead of this machine's;
#   - IPC and mount namespaces, with a fresh tmpfs on /dev/shm.
# Debian's Slurm 22.05 is built with --enable-multiple-slurmd (`scontrol show config` says
# MULTIPLE_SLURMD = Yes): several slurmd may run on one host and share its munged (which then sees
# the job credential that srun sends to every node more than once, and Slurm lets it). Each node has
# its own NodeHostname, Port (16819 + K - 1, on 127.0.0.1), spool, pid and log file (%n in
# slurm.conf) and TmpFS (where the PMIx plugin puts a step's directories, named by job and step
# only). Their traffic goes over 127.0.0.1 only; Open MPI across these nodes needs
# OMPI_MCA_btl_tcp_if_include=lo (it leaves out loopback by default).
set -euo pipefail
action=${1:-}
[ $# -ge 2 ] || { echo "usage: $0 start STATE_DIR [--nodes N] | stop STATE_DIR" >&2; exit 2; }
state=$(mkdir -p "$2" && cd "$2" && pwd)
shift 2
nodes=0
while [ $# -gt 0 ]; do
  case $1 in
    --nodes) nodes=${2:-}; shift 2 || { echo "slurm-cluster: --nodes needs a value" >&2; exit 2; } ;;
    --nodes=*) nodes=${1#--nodes=}; shift ;;
    *) echo "slurm-cluster: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ $nodes =~ ^[023]$ ]] || { echo "slurm-cluster: --nodes must be 2 or 3, not '$nodes'" >&2; exit 2; }
[ "$nodes" -eq 0 ] || command -v unshare >/dev/null \
  || { echo "slurm-cluster: unshare (util-linux) not found; --nodes needs it" >&2; exit 2; }
conf=$state/slurm.conf
node_port() { echo $((16818 + $1)); }

# Every daemon's pid file: slurmd-NODE.pid (one per node), slurmctld.pid, munged.pid; munged last
# (the others authenticate through it while they shut down).
stop() {
  local pidfile pid
  for pidfile in "$state"/slurmd-*.pid "$state"/slurmctld.pid "$state"/munged.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

write_config() {
  local node cpus k names
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
SlurmdSpoolDir=$state/d/%n
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd-%n.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd-%n.log
TmpFS=$state/tmp/%n
SlurmctldPort=16817
SlurmdPort=$(node_port 0)
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
  names=()
  for ((k = 1; k <= nodes; ++k)); do
    echo "NodeName=hs-node$k NodeHostname=hs-node$k NodeAddr=127.0.0.1 Port=$(node_port "$k") CPUs=4 RealMemory=1000 State=UNKNOWN"
    names+=("hs-node$k")
  done >>"$conf"
  if [ "$nodes" -gt 0 ]; then
    echo "PartitionName=multi Nodes=$(IFS=,; echo "${names[*]}") MaxTime=INFINITE State=UP" >>"$conf"
  fi
}

# start_fake_node K: hs-nodeK's slurmd inside the node's namespaces (see the top).
start_fake_node() {
  local name=hs-node$1 offset=$(($1 * 3600 + $1 * 7))
  install -d -m 1777 "$state/tmp/$name"
  unshare --uts --ipc --mount --propagation private --time --monotonic "$offset" --boottime "$offset" \
    bash -c 'mount -t tmpfs -o mode=1777,size=512m "$1" /dev/shm && hostname "$1" && exec /usr/sbin/slurmd -f "$2" -N "$1"' \
    node "$name" "$conf"
}

start() {
  stop
  mkdir -p "$state/ctld" "$state/d" "$state/munge"
  install -d -m 1777 "$state/tmp" "$state/tmp/$(hostname -s)"
  write_config
  # munged wants its socket directory to exist and belong to munge.
  install -d -o munge -g munge -m 0755 /run/munge
  chown munge:munge "$state/munge"
  runuser -u munge -- /usr/sbin/munged --pid-file="$state/munge/munged.pid" \
    --log-file="$state/munge/munged.log" --seed-file="$state/munge/seed"
  cp "$state/munge/munged.pid" "$state/munged.pid"
  /usr/sbin/slurmctld -f "$conf"
  /usr/sbin/slurmd -f "$conf"
  for ((k = 1; k <= nodes; ++k)); do start_fake_node "$k"; done
  export SLURM_CONF=$conf
  local want=$((nodes + 1))
  for _ in $(seq 200); do
    if [ "$(sinfo -h -N -o '%N %t' 2>/dev/null | grep -cE ' (idle|mix|alloc)$')" -eq "$want" ]; then
      echo "slurm-cluster: up ($(sinfo -h -o '%P %N %c CPUs %t' | paste -sd ';' | sed 's/;/; /g'))"
      return 0
    fi
    sleep 0.1
  done
  echo "slurm-cluster: not all $want nodes came up; logs in $state" >&2
  sinfo -N >&2 || true
  return 1
}

case $action in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start STATE_DIR [--nodes N] | stop STATE_DIR" >&2; exit 2 ;;
esac
