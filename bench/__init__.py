"""Benchmarks. Run ``./run bench [NAME ...]``; figures are ratios against a
baseline measured in the same run, never timed assertions in the tests."""
