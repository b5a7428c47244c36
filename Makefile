# The course's two commands: `make lab` opens it, `make test` checks it.
# Both create .venv and install the pinned set on first use.

# Python 3.11, under whichever name this machine gives it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed

# Everything below runs with the venv first on PATH (nbgrader shells out to
# `alembic`) and with Keras 2 selected before TensorFlow is imported.
export PATH := $(BIN):$(PATH)
export TF_USE_LEGACY_KERAS := 1
export TF_CPP_MIN_LOG_LEVEL := 2

LAB_ARGS ?=
# Jupyter refuses to start as root unless told; containers and CI often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
PYTEST_ARGS ?=

.PHONY: lab test install student-notebooks outputs release autograde feedback grades clean-venv

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	# The venv's own "python3" kernel gets the Keras 2 switch too, so a
	# plain `jupyter lab`, nbval and nbgrader all start kernels with it.
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 \
	  --display-name "Python 3 (recsys course)" \
	  --env TF_USE_LEGACY_KERAS 1 --env TF_CPP_MIN_LOG_LEVEL 2
	touch $@

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=. $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Maintainers: after editing solutions/, store the outputs nbval checks, then
# regenerate the student notebooks (it refuses to overwrite uncommitted edits).
outputs: $(STAMP)
	$(BIN)/python scripts/store_checked_outputs.py

student-notebooks: $(STAMP)
	$(BIN)/python scripts/course.py student-notebooks

# Instructors: the nbgrader cycle. The gradebook (gradebook.db) stays in the
# course root; no target deletes it or a submission. FORCE=1 regrades.
release: $(STAMP)
	$(BIN)/python scripts/course.py release

autograde: $(STAMP)
	$(BIN)/python scripts/course.py autograde $(if $(FORCE),--force)

feedback: $(STAMP)
	$(BIN)/python scripts/course.py feedback

grades: $(STAMP)
	$(BIN)/python scripts/course.py grades

clean-venv:
	rm -rf $(VENV)
