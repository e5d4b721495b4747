"""Generators of the documentation's tables: the README's summary and map, the docs' result and
performance tables, config/README.md's key table. The pipeline never imports them."""
