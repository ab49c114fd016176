"""Per-API handlers of the Raft core.

`handle_<api>_request(core, inbound_id, request, now_ms)` and
`handle_<api>_response(core, source, response, now_ms)`: pure functions over `kraft.context.Core`.
"""
