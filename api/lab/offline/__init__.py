"""Offline work beside the service, never imported by it: benchmarks (`pulse bench`, bench-ingest, bench-audit),
the leave-one-out experiment, the audit interval's coverage simulation and the readers of vendors' reference
material. Only the entry points (`api.cli`) and tests import this package; tests/test_architecture.py keeps it so."""
