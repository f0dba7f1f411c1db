#!/usr/bin/env bash
# Runs the project's compiled JUnit tests inside a test/kernels guest with the JUnit Platform Console
# Standalone launcher, e.g. the capture tests with kprobes forced:
#
#   mvn -B -q -DskipTests package            # on the host: target/classes, target/test-classes, the jar
#   test/kernels/junit-in-guest.sh --attach kprobe -- --select-class io.httpprofiler.capture.CaptureEndToEndTest
#
#   test/kernels/junit-in-guest.sh [-k KERNEL] [--attach MODE] [-J JVM_ARG]... [-t SECONDS] [--] [LAUNCHER_ARGS...]
#
# On the host it writes the test classpath (mvn dependency:build-classpath: absolute paths into the Maven
# repository) to .cache/kernels/test-classpath.txt and fetches junit-platform-console-standalone (same
# version as the project's junit-platform-engine) into the Maven repository. In the guest, where the repo
# and the Maven repository are mounted at their host paths, it runs
#   java -Dhttpprofiler.attach=MODE -Dbpf.object=... -Dproject.basedir=... -Dprofiler.jar=... [JVM_ARGs]
#        -jar junit-platform-console-standalone.jar execute --class-path target/test-classes:target/classes:<deps>
#        --reports-dir target/kernel-tests/KERNEL [LAUNCHER_ARGS]     (default LAUNCHER_ARGS: --scan-class-path)
# and exits with the launcher's status (0 all passed, 1 a test failed, 2 no test ran; 124/125 see run-in-guest.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KERNEL="$(default_kernel)"
ATTACH=
TIMEOUT="${GUEST_TIMEOUT:-1800}"
JVM_ARGS=()
while [ $# -gt 0 ]; do
  case $1 in
    -k|--kernel) KERNEL=$2; shift 2 ;;
    --attach) ATTACH=$2; shift 2 ;;
    -J) JVM_ARGS+=("$2"); shift 2 ;;
    -t|--timeout) TIMEOUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0"; exit 0 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || set -- --scan-class-path
[ -n "$ATTACH" ] || ATTACH="$(kernel_field "$KERNEL" 4)"

cd "$REPO_ROOT"
[ -d target/test-classes ] && [ -d target/classes ] ||
  die "no target/classes or target/test-classes: build first (mvn -B -q -DskipTests package)"
MVN="${MVN:-mvn -B -q}"
M2_REPO="${M2_REPO:-${HOME:-/root}/.m2/repository}"
mkdir -p "$REPO_ROOT/.cache/kernels"
CP_FILE="$REPO_ROOT/.cache/kernels/test-classpath.txt" # inside the repo: the guest sees it
if [ ! -s "$CP_FILE" ] || [ pom.xml -nt "$CP_FILE" ]; then
  log "writing the test classpath to $CP_FILE"
  $MVN dependency:build-classpath -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test -Dmaven.repo.local="$M2_REPO" >&2
fi
PLATFORM_VERSION="$(tr ':' '\n' <"$CP_FILE" | sed -n 's|.*/junit-platform-engine-\([0-9][^/]*\)\.jar$|\1|p' | head -n1)"
[ -n "$PLATFORM_VERSION" ] || die "junit-platform-engine is not on the test classpath ($CP_FILE)"
LAUNCHER="$M2_REPO/org/junit/platform/junit-platform-console-standalone/$PLATFORM_VERSION/junit-platform-console-standalone-$PLATFORM_VERSION.jar"
if [ ! -f "$LAUNCHER" ]; then
  log "fetching junit-platform-console-standalone $PLATFORM_VERSION"
  $MVN dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$PLATFORM_VERSION" \
    -Dtransitive=false -Dmaven.repo.local="$M2_REPO" >&2
fi

q() { printf '%q ' "$@"; }
CMD="java -Dhttpprofiler.attach=$(q "$ATTACH")"
CMD+=" -Dbpf.object=$(q "$REPO_ROOT/target/classes/bpf/http_probe.bpf.o") -Dproject.basedir=$(q "$REPO_ROOT")"
CMD+=" -Dprofiler.jar=$(q "$REPO_ROOT/target/http-profiler.jar") ${JVM_ARGS[*]+$(q "${JVM_ARGS[@]}")}"
CMD+=" -jar $(q "$LAUNCHER") execute --disable-banner --disable-ansi-colors --details=${JUNIT_DETAILS:-testfeed}"
CMD+=" --class-path \"target/test-classes:target/classes:\$(cat $(q "$CP_FILE"))\""
CMD+=" --reports-dir $(q "target/kernel-tests/$KERNEL") $(q "$@")"
CMD="echo \"junit-in-guest: kernel \$(uname -r), attach=$ATTACH\"; $CMD"
# GUEST_AFTER: a shell command to run in the guest after the tests (e.g. dump the trace buffer while debugging).
if [ -n "${GUEST_AFTER:-}" ]; then CMD="$CMD; rc=\$?; $GUEST_AFTER; exit \$rc"; fi
log "running JUnit in $KERNEL with httpprofiler.attach=$ATTACH"
exec "$KERNELS_DIR/run-in-guest.sh" -k "$KERNEL" -t "$TIMEOUT" -- "$CMD"
