"""Benchmarks for hotfix-bot: every figure measured side by side with its floor in the same run.

``python -m bench`` (or ``./dev.sh bench``) runs them all, prints a table and writes
``bench/results/<timestamp>.json``; ``--smoke`` runs each in a tiny mode (CI keeps them working with it).
Benchmarks, not tests: targets are reported, never asserted.
"""
