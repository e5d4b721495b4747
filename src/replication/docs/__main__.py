"""``python -m replication.docs [run] [--benchmarks DIR] [--paper OVERLAY]`` (``make docs``): every
generated block of the README, docs/ and config/README.md."""

from . import config_keys, generate

generate.main()
config_keys.refresh()
