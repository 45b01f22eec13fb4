#!/usr/bin/env bash
# A multi-node MPI cluster on this one machine, used in place of mpiexec (issue 16):
#
#   bash scripts/multinode.sh [--nodes N] [--slots S] MPIRUN_ARGS... PROGRAM ARGS...
#   e.g. bash scripts/multinode.sh --nodes 3 -np 6 hybridscope run --set items=16
#
# N (2-3, default 2) fake nodes named hs-node1..hs-nodeN with S slots each (default 2). mpirun runs
# on the real host and starts one orted per node through a launcher agent (--mca plm_rsh_agent) that
# stands in for ssh: each node's orted, and so every rank on it, runs in its own
#   - UTS namespace, with the host name hs-nodeK (MPI_Comm_split_type(SHARED) and hostname-based
#     placement see N nodes);
#   - time namespace, with CLOCK_MONOTONIC (and CLOCK_BOOTTIME) K*3600+K*7 s ahead of the host's;
#   - IPC and mount namespaces, with a fresh tmpfs on /dev/shm, so no shared memory crosses nodes.
# All MPI traffic (the runtime's and the ranks') goes over TCP on the loopback interface; nothing
# else is needed. Extra mpirun arguments (e.g. "--mca osc pt2pt") can be given before PROGRAM or in
# HYBRIDSCOPE_MULTINODE_MPIRUN_ARGS (split on spaces). HYBRIDSCOPE_MULTINODE_MPIRUN overrides the
# mpirun executable. The exit code is mpirun's. Needs root (unshare of these namespaces, mount).
#
# How mpirun calls the agent (Open MPI 4.1, plm rsh, no tree spawn): AGENT HOST ORTED_COMMAND...,
# where ORTED_COMMAND is meant for a remote shell (" orted -mca ess \"env\" ..."), as ssh would
# join and evaluate it. The agent also drops leading ssh-style options (-x, -o OPT, -p PORT, ...)
# in case it is given some.
set -euo pipefail

nodes=2 slots=2
while [ $# -gt 0 ]; do
  case $1 in
    --nodes) nodes=${2:?--nodes needs a value}; shift 2 ;;
    --nodes=*) nodes=${1#--nodes=}; shift ;;
    --slots) slots=${2:?--slots needs a value}; shift 2 ;;
    --slots=*) slots=${1#--slots=}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
die() { echo "multinode.sh: $*" >&2; exit 2; }
[[ $nodes =~ ^[23]$ ]] || die "--nodes must be 2 or 3, not '$nodes'"
[[ $slots =~ ^[1-9][0-9]*$ ]] || die "--slots must be a positive number, not '$slots'"
[ $# -gt 0 ] || die "usage: multinode.sh [--nodes N] [--slots S] -np P PROGRAM ARGS..."
[ "$(id -u)" -eq 0 ] || die "needs root: each fake node is made with unshare (UTS, time, IPC, mount namespaces) and a tmpfs mount"
command -v unshare >/dev/null || die "unshare (util-linux) not found"
mpirun=${HYBRIDSCOPE_MULTINODE_MPIRUN:-mpirun}
command -v "$mpirun" >/dev/null || die "$mpirun not found"

dir=$(mktemp -d "${TMPDIR:-/tmp}/hs-multinode.XXXXXX")
mpirun_pid=
cleanup() {
  [ -n "$mpirun_pid" ] && kill -TERM "$mpirun_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

# The names must not be this host's name, or mpirun would start that node's ranks itself, outside
# the namespaces.
for ((k = 1; k <= nodes; ++k)); do echo "hs-node$k slots=$slots"; done >"$dir/hostfile"

cat >"$dir/agent" <<'AGENT'
#!/usr/bin/env bash
# ssh stand-in for mpirun's plm rsh: agent [SSH_OPTIONS...] HOST COMMAND...
set -eu
while [ $# -gt 0 ]; do
  case $1 in
    -[bcDEeFIiJLlmOopQRSWw]) shift 2 ;;  # ssh options that take a value
    -*) shift ;;
    *) break ;;
  esac
done
host=${1:?no host given}; shift
[[ $host =~ ^hs-node([0-9]+)$ ]] || { echo "multinode agent: unknown node '$host'" >&2; exit 255; }
k=${BASH_REMATCH[1]}
offset=$((k * 3600 + k * 7))
# The command is one shell line, as ssh would pass it (orted's arguments carry their own quotes).
exec unshare --uts --ipc --mount --propagation private --time --monotonic "$offset" --boottime "$offset" \
  bash -c 'mount -t tmpfs -o mode=1777,size=512m "$1" /dev/shm && hostname "$1" && exec bash -c "$2"' \
  agent "$host" "$*"
AGENT
chmod +x "$dir/agent"

extra=()
[ -n "${HYBRIDSCOPE_MULTINODE_MPIRUN_ARGS:-}" ] && read -r -a extra <<<"$HYBRIDSCOPE_MULTINODE_MPIRUN_ARGS"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# The fake nodes share this machine's cores, but each node has only as many ranks as slots, so Open
# MPI would let its ranks busy-poll: a rank waiting for a TCP message then takes the core from the
# rank that would send it, and every collective waits for a time slice (a 0.2 MB timeline took
# 10-20 s to write instead of 0.1 s). Idle ranks yield instead, unless the caller says otherwise.
export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
status=0
# Unbound: every fake node takes the machine's cores for its own, so its daemon would bind its first
# rank to core 0 as every other node's does, and the nodes' ranks would share one core.
"$mpirun" --hostfile "$dir/hostfile" --oversubscribe --bind-to none \
  --mca plm_rsh_agent "$dir/agent" --mca plm_rsh_no_tree_spawn 1 --mca routed direct \
  --mca btl tcp,vader,self --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo \
  "${extra[@]}" "$@" &
mpirun_pid=$!
trap 'kill -TERM "$mpirun_pid" 2>/dev/null' INT TERM HUP
# wait returns early when a trapped signal arrives: wait again until mpirun is gone.
while :; do
  wait "$mpirun_pid" && status=0 || status=$?
  kill -0 "$mpirun_pid" 2>/dev/null || break
done
mpirun_pid=
exit "$status"
