"""No models yet: the rendezvous server keeps its state in memory (docs/protocol.md §3)."""
