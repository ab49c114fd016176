"""Deterministic whole-cluster simulator for the pure Raft core (VOPR-style).

Theory of operation: one seed drives everything. `runner.run_seed` derives independent
`random.Random`s from the seed (network, faults, workload, one per node) so that adding a node or a
fault does not perturb the other streams. A `Scheduler` holds a heap of (virtual time ms, sequence,
action); nothing ever reads a wall clock. Each node is a real `kraft.node.RaftNode` whose `Ready`
is executed by `cluster.SimCluster` with the same ordering helper the trio shell uses
(`kraft.ready`), against an in-memory crash-consistent disk (`disk.SimLog`: unflushed bytes are
lost on a crash) and a seeded faulty network (`network.Network`: drops, delays, duplicates,
reordering, symmetric and one-way partitions). After every event `invariants.InvariantChecker`
checks the named safety invariants; at the end of a run the faults are healed and liveness is
checked (a leader is elected and the high watermark advances within a bound).

A failing seed is reported with exactly one command line that replays it; the same seed always
yields a byte-identical event trace (`RunResult.trace_hash`).
"""
