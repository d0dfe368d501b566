"""`make bench`: the national-scale benchmark (see bench/run.py and BENCHMARKS.md)."""
