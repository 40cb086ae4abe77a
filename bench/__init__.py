"""Benchmarks: `.venv/bin/python -m bench.b1_intake` etc.; see docs/benchmarks.md."""
