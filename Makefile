# The targets the README uses. Everything installs into a local virtual environment (.venv).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test check format bench bench-compare clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,train,cluster,postgres]'
	touch $(STAMP)

# The main job on the bundled examples: analyse them into an embedded SQLite corpus, query it, then
# serve the dashboard and the JSON API over it on 127.0.0.1 (PORT=8000 by default).
PORT ?= 8000
demo: install
	mkdir -p out
	rm -f out/demo.db out/demo.db-wal out/demo.db-shm
	$(BIN)/marsad ingest examples/articles.jsonl examples/page.html examples/feed.xml --db out/demo.db --no-progress
	$(BIN)/marsad analyze examples/articles.jsonl --format jsonl --output out/examples.jsonl --no-progress
	$(BIN)/marsad analyze examples/page.html --format html --output out/page.html
	$(BIN)/marsad analyze examples/single/ex20-opinion-washington.txt --format text
	$(BIN)/marsad search '"الحد من الأسلحة"' --db out/demo.db --limit 3
	$(BIN)/marsad syndication --db out/demo.db
	@echo
	@echo "demo: corpus out/demo.db, JSON Lines out/examples.jsonl, page out/page.html"
	@echo "demo: serving the dashboard on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	$(BIN)/marsad serve --db out/demo.db --port $(PORT)

test: install
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

check: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install
	$(BIN)/python bench/read_text_layer.py

# camel-tools is installed without its deep-learning dependencies: only its utilities are compared.
bench-compare: install
	$(BIN)/python -m pip install --quiet --no-deps camel-tools pyarabic
	$(BIN)/python -m pip install --quiet six emoji
	$(BIN)/python bench/compare_arabic_tools.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
