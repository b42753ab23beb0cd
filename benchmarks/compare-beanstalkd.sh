#!/usr/bin/env bash
# Chronoq (durable: PostgreSQL 15, fsync and synchronous_commit on) side by side with beanstalkd
# (the Debian package, with its binlog) under the same load shapes, in one run, on loopback
# (issue 4, item 8). Prints both sets of medians and Chronoq's figures as ratios to beanstalkd's.
#
#   benchmarks/compare-beanstalkd.sh [--runs N] [--no-build] [--no-fsync-always]
#
# What it does, every time from scratch (so the final comparison can simply be repeated):
#   1. installs beanstalkd with apt-get when it is missing;
#   2. builds benchmarks/Chronoq.LoadGen in Release (which builds src/Chronoq.Service too), unless --no-build;
#   3. takes /tmp/chronoq-bench.lock (the shared benchmark lock; do not wrap this script in flock too),
#      then starts, on free ports of 127.0.0.1 and in one temporary directory:
#      - a throwaway PostgreSQL 15 cluster run as the postgres user (as tests/Chronoq.Testing's
#        PostgresCluster does: initdb --no-sync, fsync = on, synchronous_commit = on),
#      - the Chronoq server on it (Release build, logging at Warning),
#      - beanstalkd -b <binlog dir> -f 50 (its default: fsync at most every 50 ms) and, unless
#        --no-fsync-always, a second beanstalkd -b <another dir> -f 0 (fsync on every binlog write);
#   4. runs `Chronoq.LoadGen workloads --only W1,W2,CYCLE` against Chronoq and `Chronoq.LoadGen beanstalk`
#      against each beanstalkd (each: a warm-up, then --runs measured runs, medians);
#   5. prints the table, then stops every process it started and removes the temporary directory
#      (also on failure or Ctrl-C).
# Each load run is bounded by `timeout`; the whole script takes about 5 minutes on 2 loaded cores.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=3
build=1
fsync_always=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --no-fsync-always) fsync_always=0; shift ;;
    *) echo "usage: $0 [--runs N] [--no-build] [--no-fsync-always]" >&2; exit 2 ;;
  esac
done

pg_bin=/usr/lib/postgresql/15/bin
loadgen="$repo_root/benchmarks/Chronoq.LoadGen/bin/Release/net10.0/Chronoq.LoadGen.dll"
service="$repo_root/src/Chronoq.Service/bin/Release/net10.0/Chronoq.Service.dll"
# A load run taking longer than this has hung; a durable Chronoq W1+W2 run takes 2-3 minutes here.
run_timeout=600
fsync_always_jobs=10000

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Runs a PostgreSQL tool as the postgres user when we are root (initdb refuses root).
as_cluster_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() { # port, what
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "compare-beanstalkd: $2 did not listen on 127.0.0.1:$1 within 60 s" >&2
  return 1
}

if ! command -v beanstalkd >/dev/null 2>&1; then
  echo "compare-beanstalkd: installing beanstalkd"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show beanstalkd >/dev/null 2>&1; then as_root apt-get update -q; fi
  as_root apt-get install -y -q --no-install-recommends beanstalkd
fi
if [ ! -x "$pg_bin/initdb" ]; then
  echo "compare-beanstalkd: PostgreSQL 15 not found in $pg_bin; run scripts/install-test-prereqs.sh" >&2
  exit 1
fi

if [ "$build" -eq 1 ]; then
  dotnet build -c Release "$repo_root/benchmarks/Chronoq.LoadGen" -nologo -v quiet
fi

exec 9>/tmp/chronoq-bench.lock
echo "compare-beanstalkd: waiting for /tmp/chronoq-bench.lock"
flock -w 1800 9

work="$(mktemp -d /tmp/chronoq-vs-beanstalkd-XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -f "$work/pg/data/postmaster.pid" ]; then
    as_cluster_user "$pg_bin/pg_ctl" stop -D "$work/pg/data" -m immediate -w -t 20 >/dev/null 2>&1 || true
  fi
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL 15, durable settings as in tests/Chronoq.Testing/Postgres/PostgresCluster.cs.
pg_port="$(free_port)"
mkdir -p "$work/pg"
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$work/pg"; fi
as_cluster_user "$pg_bin/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
as_cluster_user tee -a "$work/pg/data/postgresql.conf" >/dev/null <<EOF

# Chronoq vs beanstalkd throwaway cluster
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$work/pg'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 200
log_min_messages = warning
EOF
as_cluster_user "$pg_bin/pg_ctl" start -D "$work/pg/data" -l "$work/pg/postgres.log" -w -t 30 >/dev/null

grpc_port="$(free_port)"
http_port="$(free_port)"
dotnet "$service" \
  "--Chronoq:GrpcUrl=http://127.0.0.1:$grpc_port" "--Chronoq:HttpUrl=http://127.0.0.1:$http_port" \
  "--ConnectionStrings:Chronoq=Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres" \
  --Logging:LogLevel:Default=Warning >"$work/chronoq.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  if curl -sf "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
curl -sf "http://127.0.0.1:$http_port/readyz" >/dev/null || { echo "compare-beanstalkd: Chronoq not ready; its log:" >&2; tail -20 "$work/chronoq.log" >&2; exit 1; }

# Sets started_port (not printed: a $(...) subshell would lose the pid recorded for the clean-up).
start_beanstalkd() { # name, fsync flag
  local dir="$work/$1"
  started_port="$(free_port)"
  mkdir -p "$dir"
  beanstalkd -l 127.0.0.1 -p "$started_port" -b "$dir" "$2" >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_for_port "$started_port" "beanstalkd $2"
}
start_beanstalkd binlog-f50 -f50
bs50_port="$started_port"
if [ "$fsync_always" -eq 1 ]; then
  start_beanstalkd binlog-f0 -f0
  bs0_port="$started_port"
fi

run() { # label, log file, loadgen arguments...
  local label="$1" log="$2"
  shift 2
  echo "== $label ($(date -u +%H:%M:%S) UTC, $(uptime | sed 's/.*load average/load average/'))"
  timeout "$run_timeout" dotnet "$loadgen" "$@" | tee "$log"
}
run "beanstalkd -b -f 50" "$work/bs50.out" beanstalk --address "127.0.0.1:$bs50_port" --runs "$runs"
run "Chronoq durable" "$work/chronoq.out" workloads --address "http://127.0.0.1:$grpc_port" --only W1,W2,CYCLE --runs "$runs"
if [ "$fsync_always" -eq 1 ]; then
  # fsync on every write costs ~0.5 ms of beanstalkd's single thread per put and per delete, so
  # 50,000 jobs would take 10+ minutes a pass; 5,000 per run measure the same rates.
  run "beanstalkd -b -f 0" "$work/bs0.out" beanstalk --address "127.0.0.1:$bs0_port" --runs "$runs" --jobs "$fsync_always_jobs"
fi
echo "== done ($(date -u +%H:%M:%S) UTC, $(uptime | sed 's/.*load average/load average/'))"

median() { # file, line pattern: the number after "median"
  grep -F -- "$2" "$1" | grep -F median | sed -E 's/.*median ([0-9]+).*/\1/' | head -1
}
ratio() { if [ -n "$1" ] && [ -n "$2" ] && [ "$2" -gt 0 ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo "-"; fi; }

# The summary lines of StandardWorkloads' W1 and W2 (not the I4 ones, which share some words).
c_batch="$(median "$work/chronoq.out" "W1 enqueue 50000 x 100 B, PutBatch")"
c_unbatched="$(median "$work/chronoq.out" "W1 enqueue 50000 x 100 B, unbatched Put")"
c_drain="$(median "$work/chronoq.out" "W2 drain 50000,")"
c_cycle="$(median "$work/chronoq.out" "CYCLE put-reserve-delete")"
b50_one="$(median "$work/bs50.out" "1 in flight")"
b50_pipe="$(median "$work/bs50.out" "pipelined")"
b50_drain="$(median "$work/bs50.out" "W2 drain")"
b50_cycle="$(median "$work/bs50.out" "cycles")"
b0_one="" b0_pipe="" b0_drain="" b0_cycle=""
if [ "$fsync_always" -eq 1 ]; then
  b0_one="$(median "$work/bs0.out" "1 in flight")"
  b0_pipe="$(median "$work/bs0.out" "pipelined")"
  b0_drain="$(median "$work/bs0.out" "W2 drain")"
  b0_cycle="$(median "$work/bs0.out" "cycles")"
fi

echo
echo "Medians of $runs runs, jobs/s (ratio = Chronoq / beanstalkd):"
echo
echo "| shape (32 connections, 50,000 × 100 B) | Chronoq durable | beanstalkd -f 50 | ratio | beanstalkd -f 0 ($fsync_always_jobs jobs a run) | ratio |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| W1 enqueue: Chronoq PutBatch of 500 / beanstalkd 500 puts pipelined per write | $c_batch | $b50_pipe | $(ratio "$c_batch" "$b50_pipe") | ${b0_pipe:--} | $(ratio "$c_batch" "$b0_pipe") |"
echo "| W1 enqueue, one put in flight per connection (Chronoq unbatched Put) | $c_unbatched | $b50_one | $(ratio "$c_unbatched" "$b50_one") | ${b0_one:--} | $(ratio "$c_unbatched" "$b0_one") |"
echo "| W2 drain: Chronoq Reserve streams + coalesced deletes / beanstalkd reserve + delete | $c_drain | $b50_drain | $(ratio "$c_drain" "$b50_drain") | ${b0_drain:--} | $(ratio "$c_drain" "$b0_drain") |"
echo "| put→reserve→delete cycles: Chronoq Reserve stream (prefetch 1), delete + next put together / beanstalkd delete + put + reserve in one write | $c_cycle | $b50_cycle | $(ratio "$c_cycle" "$b50_cycle") | ${b0_cycle:--} | $(ratio "$c_cycle" "$b0_cycle") |"
