"""Client side of pykraft: the id-less observer library and what the tools share."""
