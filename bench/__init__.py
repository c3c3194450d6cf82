"""Benchmarks: load and throughput measurements, not run as tests."""
