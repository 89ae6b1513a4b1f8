"""Benchmarks: each measures a figure beside a raw bound taken in the same run."""
