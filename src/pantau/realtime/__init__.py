"""The live dashboard (SPEC §8.2): a WebSocket that pushes a section's answer when the data in the subscriber's scope
changes. `changes` says what changed and for whom, `bus` carries changes between processes, `hub` recomputes and
pushes, `protocol` checks what a client sends, `endpoint` is the socket."""
