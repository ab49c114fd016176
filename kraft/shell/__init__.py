"""The trio shell: the only code in pykraft that touches sockets, threads, clocks and disks.

It executes what the pure Raft core (`kraft.node.RaftNode`) decides: `config` turns a
`.properties` file into typed settings, `disk_log` and `quorum_state_store` keep Kafka's on-disk
layout, `server`/`connection` serve Kafka's wire protocol, `peers` talks to the other voters and
`node_loop` is the single task that owns the core.
"""
