# Rivalscope: `make demo` and `make test` are all the set-up a fresh clone needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck bench bench-scale clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	rm -f demo.duckdb demo.duckdb.wal demo-report.html
	$(BIN)/rivalscope synth --one-world --events 20000 --out demo-data
	$(BIN)/rivalscope ingest ucdp demo-data/synthetic_world_ged.csv --db demo.duckdb
	$(BIN)/rivalscope ingest acled demo-data/synthetic_world_acled.csv --db demo.duckdb
	$(BIN)/rivalscope info --db demo.duckdb
	$(BIN)/rivalscope profile ISKP TALIBAN --db demo.duckdb --country AFG --html demo-report.html
	@echo
	@echo "SYNTHETIC demo store: demo.duckdb. Report: demo-report.html (open it in a browser). Try:"
	@echo "  $(BIN)/rivalscope events --db demo.duckdb --actor ISKP --rival TALIBAN --format csv | head"
	@echo "  $(BIN)/rivalscope places --db demo.duckdb"
	@echo "  $(BIN)/rivalscope forecast --db demo.duckdb --actor TALIBAN --outcome any"
	@echo "  $(BIN)/rivalscope serve --db demo.duckdb    # then open http://127.0.0.1:8750/"

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/profile.py  # about 5-10 minutes at 10,000,000 events
	$(BIN)/python benchmarks/code.py
	$(BIN)/python benchmarks/forecast.py
	$(BIN)/python benchmarks/simulate.py
	$(BIN)/python benchmarks/serve.py

bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale.py  # 100,000,000 events as Parquet: disk and hours

clean:
	rm -rf $(VENV) demo-data demo.duckdb demo.duckdb.wal demo-report.html .pytest_cache \
		.mypy_cache .ruff_cache
