"""``python -m replication.docs [run] [--benchmarks DIR] [--paper OVERLAY]`` (``make docs``): every
generated block of the README, docs/, config/README.md and the schema's stage resources, and
every results block's stamp re-marked for the current code."""

from . import config_keys, generate, stamps

generate.main()
config_keys.refresh_schema()
config_keys.refresh()
stamps.main()
