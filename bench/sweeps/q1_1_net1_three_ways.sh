#!/bin/bash
# The Q1.1 sweep's Net1 half (6 conv types x 10 seeds = 60 trainings) timed three ways, one after another on a
# 2-core machine (README, "Sweeps"): (a) one notebook run, Experiments on local threads (parallelism 2);
# (b) ./dlcourse sweep --master local[2] (6 tasks, 2 at once, each pinned to a core); (c) the same sweep on a
# standalone Spark cluster of a master and two 1-core workers on 127.0.0.1. Load average logged every minute:
# the numbers only count where the machine was otherwise idle (about 2 h in all).
# Usage: [W=DIR] [COMMIT=REV] bench/sweeps/q1_1_net1_three_ways.sh; results in $W/times.tsv, $W/load.log, logs.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
W=${W:-/tmp/q1_1-net1-sweeps}
COMMIT=${COMMIT:-main}
mkdir -p "$W"
exec >>"$W/measure.log" 2>&1
echo "== start $(date -u +%FT%TZ) commit $COMMIT"
( while true; do echo "$(date -u +%FT%TZ) $(cat /proc/loadavg)"; sleep 60; done ) >>"$W/load.log" &
LOADPID=$!
trap 'kill $LOADPID 2>/dev/null' EXIT
rm -rf "$W/repo" && git clone -q "$REPO" "$W/repo" && cd "$W/repo" && git checkout -q "$COMMIT"
[ -e "$W/shared" ] || ln -s "$REPO/../shared" "$W/shared"
export DLCOURSE_DATA=${DLCOURSE_DATA:-$REPO/../shared/data} MAVEN_OPTS=-Djansi.noreset=true
./dlcourse build && mvn -o -q -pl sweeps -am package -DskipTests || { echo "build failed"; exit 1; }
NB=notebooks/uva-dl1-hw2/q1_1_padding.ipynb
GRID=valid,replicate,reflect,circular,sconv,fconv
step() {   # name, command...
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "== $name start $(date -u +%FT%TZ): $*"
  "$@" >"$W/$name.log" 2>&1
  local rc=$?
  local t1; t1=$(date +%s)
  printf '%s\t%s\t%d\t%s\n' "$name" "$(date -u -d @"$t0" +%FT%TZ)" $((t1 - t0)) "rc=$rc" >>"$W/times.tsv"
  echo "== $name end rc=$rc after $((t1 - t0)) s"
}
step a-local-threads ./dlcourse run $NB -p nets=net1 -p parallelism=2 -p journal="$W/a.tsv" --out "$W/a" --timeout 100000
step b-local2 ./dlcourse sweep $NB -p nets=net1 --grid convTypes=$GRID --master 'local[2]' --journal "$W/b.tsv" \
  --out "$W/b" --timeout 100000
# (c) a standalone cluster from Spark's own classes, as StandaloneClusterTest starts it
mkdir -p "$W/sparkhome/jars"
export SPARK_HOME="$W/sparkhome" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
CP=$(cat sweeps/target/classpath.txt):$(ls sweeps/target/*.jar | head -1)
java -Xmx512m -cp "$CP" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 7077 --webui-port 18080 \
  >"$W/master.log" 2>&1 &
MASTER=$!
sleep 15
for w in 1 2; do
  java -Xmx512m -cp "$CP" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 --memory 8g \
    --work-dir "$W/work$w" --webui-port $((18080 + w)) spark://127.0.0.1:7077 >"$W/worker$w.log" 2>&1 &
  eval "WORKER$w=$!"
done
sleep 15
step c-cluster ./dlcourse sweep $NB -p nets=net1 --grid convTypes=$GRID --master spark://127.0.0.1:7077 \
  --conf spark.driver.host=127.0.0.1 --journal "$W/c.tsv" --out "$W/c" --timeout 100000
kill $WORKER1 $WORKER2 $MASTER 2>/dev/null
echo "== done $(date -u +%FT%TZ)"
