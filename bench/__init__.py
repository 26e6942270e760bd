"""Benchmarks of the ledger against raw baselines: ``python -m bench`` (see ``bench/__main__.py``)."""
