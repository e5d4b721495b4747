"""``python -m replication.docs [run] [--benchmarks DIR] [--paper OVERLAY]`` (``make docs``): every
generated block of the README, docs/, config/README.md and the schema's stage resources."""

from . import config_keys, generate

generate.main()
config_keys.refresh_schema()
config_keys.refresh()
