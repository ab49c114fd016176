"""`kraft proxy`: a decoding Kafka proxy (see `kraft.shell.proxy.server` for the theory)."""
