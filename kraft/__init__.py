"""pykraft's Raft core and tools.

`kraft` (top-level modules and `kraft.handlers`) is the pure Raft core: a deterministic state
machine with no sockets, clocks, disk or global randomness (see `tests/test_import_rules.py`).
Everything that touches the outside world lives in `kraft.shell` (trio), `kraft.sim` (the
simulator), `kraft.shell.client` (the observer library) and `kraft.cli` (command-line tools).
"""
