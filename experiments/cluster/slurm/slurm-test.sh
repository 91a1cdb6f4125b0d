#!/bin/bash
# make slurm-test: run a sweep as a Slurm job array on a single-node cluster
# started on this machine, and check that the merged folder equals an
# unsharded run. Debian, as root. Not part of `make test`.
#
#   1. installs slurm-wlm and munge (apt-get) if they are missing;
#   2. builds iotsim;
#   3. starts munged, slurmctld and slurmd (a generated slurm.conf in a
#      temporary folder: one node, localhost, 2 CPUs; no cgroups);
#   4. submits experiments/cluster/sweep.toml as `sbatch --array=1-N` of
#      sweep.sbatch (N = SHARDS, default 3) and waits for it;
#   5. runs the same sweep unsharded, and compares: every per-run file and
#      completion record byte for byte (cmp); `iotsim report` of the shards'
#      runs-IofN.parquet rows with the report of runs.parquet; then merges
#      (one unsharded `iotsim run` into the sharded folder: every run is
#      skipped, it writes runs.parquet and drops the shards' run-level files)
#      and compares every data file of the two folders byte for byte;
#   6. stops the daemons it started (also on failure) and removes its files
#      (KEEP=1 keeps them).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
shards=${SHARDS:-3}
port=${SLURMCTLD_PORT:-6817}
work=$(mktemp -d /tmp/iotsim-slurm.XXXXXX)
log() { printf '== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (installs packages, starts daemons)"

started=()
cleanup() {
	status=$?
	for pid in "${started[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${started[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	done
	if [ "$status" -ne 0 ]; then
		for f in "$work"/log/*; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
	fi
	if [ "${KEEP:-0}" = 1 ] || [ "$status" -ne 0 ]; then
		echo "files kept in $work"
	else
		rm -rf "$work"
	fi
	exit "$status"
}
trap cleanup EXIT

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
	log "installing slurm-wlm and munge"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
log "$(slurmctld -V), munge $(munged -V 2>&1 | awk '{print $1}' | sed 's/munge-//')"

mkdir -p "$work"/{bin,log,state,spool,out}
log "building iotsim"
(cd "$repo" && go build -o "$work/bin/iotsim" ./cmd/iotsim)
export IOTSIM="$work/bin/iotsim"

# munge: authenticates Slurm's messages. Reuse a running munged.
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
	log "munged already running"
else
	log "starting munged"
	[ -s /etc/munge/munge.key ] || { mungekey --create --keyfile /etc/munge/munge.key 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; }
	chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
	install -d -o munge -g munge -m 0755 /run/munge /var/lib/munge /var/log/munge
	runuser -u munge -- /usr/sbin/munged --foreground >"$work/log/munged.log" 2>&1 &
	started+=($!)
	for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
	munge -n | unmunge >/dev/null || fail "munged does not answer"
fi

cpus=$(nproc)
export SLURM_CONF="$work/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=iotsim-test
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=localhost CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

log "starting slurmctld and slurmd (port $port)"
slurmctld -D -i -f "$SLURM_CONF" >"$work/log/slurmctld.out" 2>&1 &
started+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$work/log/slurmd.out" 2>&1 &
started+=($!)
for _ in $(seq 100); do
	state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
	[ "$state" = idle ] && break
	sleep 0.2
done
[ "$state" = idle ] || fail "node not idle after 20 s (state: '${state:-none}')"
sinfo

log "submitting the sweep as an array of $shards tasks"
cd "$work"
jobid=$(sbatch --parsable --wait --array=1-"$shards" --chdir="$work" \
	--output="$work/log/task-%A_%a.out" \
	"$here/sweep.sbatch" "$repo/experiments/cluster/sweep.toml" "$work/out/sharded") ||
	fail "array job failed: $(cat "$work"/log/task-*.out 2>/dev/null)"
log "job $jobid finished"
scontrol show job "$jobid" 2>/dev/null | grep -E 'JobState|ArrayTaskId' | head -n $((2 * shards)) || true
cat "$work"/log/task-*.out

log "running the same sweep unsharded"
"$IOTSIM" run "$repo/experiments/cluster/sweep.toml" --out "$work/out/whole" --quiet

log "comparing"
cd "$work/out/whole"
files=$(find . -type f ! -name 'manifest*' ! -name 'runs.parquet' ! -name 'summary.parquet' | sort)
n=0
for f in $files; do
	cmp "$f" "../sharded/$f" || fail "$f differs"
	n=$((n + 1))
done
extra=$(cd ../sharded && find . -type f ! -name 'manifest*' ! -name 'runs*.parquet' ! -name 'summary.parquet' | sort | comm -13 <(echo "$files") -)
[ -z "$extra" ] || fail "unexpected files in the sharded folder: $extra"
for i in $(seq "$shards"); do
	[ -f "../sharded/runs-${i}of${shards}.parquet" ] || fail "runs-${i}of${shards}.parquet missing"
done
"$IOTSIM" report "$work/out/whole" >"$work/report-whole.txt"
"$IOTSIM" report "$work/out/sharded" >"$work/report-sharded.txt"
cmp "$work/report-whole.txt" "$work/report-sharded.txt" || fail "report of the shards' runs-IofN rows differs from runs.parquet's"
log "merging: one unsharded run into the sharded folder (every run is complete, so it only writes runs.parquet)"
"$IOTSIM" run "$repo/experiments/cluster/sweep.toml" --out "$work/out/sharded" --quiet
all=$(find . -type f ! -name 'manifest*' | sort)
for f in $all; do
	cmp "$f" "../sharded/$f" || fail "merged folder: $f differs"
done
[ "$all" = "$(cd ../sharded && find . -type f ! -name 'manifest*' | sort)" ] || fail "merged folder has other files than the unsharded one"
tmp=$(find "$work/out" -name '*.tmp')
[ -z "$tmp" ] || fail "temporary files left: $tmp"
runs=$(ls ../sharded/_runs | wc -l)
cat "$work/report-sharded.txt"
log "PASS: $shards array tasks wrote $runs runs; $n per-run files, and after merging every data file ($(echo "$all" | wc -l)), equal the unsharded run's byte for byte"
