"""One module per scenario; each exposes `run(options: BenchOptions) -> dict[str, object]`."""
