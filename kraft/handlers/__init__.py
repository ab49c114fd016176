"""Per-API handlers of the Raft core.

`handle_<api>_request(core, inbound_id, request, now_ms)` and
`handle_<api>_response(core, source, response, now_ms)`: pure functions over `kraft.context.Core`.
`common` (request preamble, answer helpers) and `fetch` (the leader's Fetch answers) never change
the epoch state, so the election logic may use them; `responses` (leader discovery from answers)
and the rest sit above kraft/election.py.
"""
