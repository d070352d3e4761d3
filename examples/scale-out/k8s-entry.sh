#!/bin/sh
# k8s-entry.sh — the container command of the Indexed Job in k8s-job.yaml.
# Kubernetes sets JOB_COMPLETION_INDEX (0-based); shard K = index + 1 of
# SHARDS (the Job's completions). A failing seed is a result, not a failed
# pod: exit 0 and let `merge` report it; bad input (2) fails the pod.
set -u
: "${JOB_COMPLETION_INDEX:?run me in an Indexed Job}"
: "${SHARDS:?set SHARDS to the Job's completions}"
"$(dirname "$0")/shard.sh" "$((JOB_COMPLETION_INDEX + 1))" "$SHARDS"
rc=$?
[ "$rc" -le 1 ] || exit "$rc"
exit 0
