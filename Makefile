# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make run    set up, migrate, load demo data, start the web server and a django-q2 cluster
#   make test   set up and run the whole suite (SQLite, then PostgreSQL when it answers)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo's channels may reach this machine (production refuses private addresses).
run: export CHANNELS_ALLOW_PRIVATE_IPS ?= true
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py serve $(RUN_ARGS)

test: install
	bash scripts/run-tests $(ARGS)

bench: install
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) var *.egg-info
