#!/usr/bin/env bash
# Start one node with the identity of Kafka's raft test server (today's name of Kafka's script,
# raft/bin/test-kraft-server-start.sh), so it can be a voter among Kafka TestRaftServers:
#   bin/test-kraft-server-start.sh --config config/kraft.properties \
#       --replica-directory-id b8tRS7h4TJ2Vt43Dp85v2A [--throughput RECORDS_PER_S] [--record-size BYTES]
# Topic __raft_performance_test, cluster id AAAAAAAAAAAAAAAAAAAAAA (`kraft server --kafka-test-server`).
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
exec "$VENV/bin/python" -m kraft.cli server --kafka-test-server "$@"
