"""Apache Kafka itself as the oracle: its jars (from `bin/kafka`), its processes, its tools."""
