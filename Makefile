# Two commands on a fresh machine: `make run` (the whole pipeline, default config) and
# `make test`. Both create .venv with the pinned dependencies first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: run stability test figures verify docs bench clean-venv

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python workflow/launch.py --cores all $(ARGS)
	$(BIN)/snakemake --cores all --report results/report.html $(ARGS)
	@cat results/current/latest/claims.md

stability: $(STAMP)
	$(BIN)/python workflow/launch.py all_seeds --cores all $(ARGS)
	@cat results/current/latest/stability.md

figures: $(STAMP)
	$(BIN)/python workflow/launch.py figures --cores all $(ARGS)

verify: $(STAMP)
	$(BIN)/python -m replication.verify results $(ARGS)

bench: $(STAMP)
	cd benchmarks && ../$(BIN)/python training.py && ../$(BIN)/python field.py && ../$(BIN)/python pipeline.py

docs: $(STAMP)
	$(BIN)/python -m replication.docs $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

clean-venv:
	rm -rf $(VENV)
