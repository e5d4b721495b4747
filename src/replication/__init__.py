"""Pipeline plumbing that is not mathematics: config validation, content keys, result storage.

Knows about files, not about Snakemake (only the scripts and rules do)."""
