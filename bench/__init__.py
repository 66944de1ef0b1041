"""Benchmarks: `python -m bench` runs them all and prints one figure a line (see README.md)."""
