"""Kafka's binary protocol, sans-I/O. construct is used here and nowhere else in the project."""
