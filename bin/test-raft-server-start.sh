#!/usr/bin/env bash
# Start one node of the test raft server (Kafka's raft/bin/test-raft-server-start.sh):
#   bin/test-raft-server-start.sh --config config/raft.properties [--throughput RECORDS_PER_S]
#       [--record-size BYTES] [--stats-file PATH] [--report-interval-ms MS] [--seed N]
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
exec "$VENV/bin/python" -m kraft.cli server "$@"
