"""The scripts here are run by tests/test_torch_scripts_holdout.py, not imported by doctest collection."""

collect_ignore_glob = ["*.py"]
