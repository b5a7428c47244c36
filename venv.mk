# The course's environment: `make install` creates .venv with the pinned set, and
# `make lab` opens JupyterLab in it. Shared by the course's Makefile and the
# student bundle's, so that both install exactly the same way.

# Python 3.11, under whichever name this machine gives it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed

# Everything runs with the venv first on PATH (nbgrader shells out to
# `alembic`) and with Keras 2 selected before TensorFlow is imported.
export PATH := $(BIN):$(PATH)
export TF_USE_LEGACY_KERAS := 1
export TF_CPP_MIN_LOG_LEVEL := 2

LAB_ARGS ?=
# Jupyter refuses to start as root unless told; containers and CI often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: install lab

install: $(STAMP) ## create .venv with the pinned packages (a few minutes the first time)

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

lab: $(STAMP) ## open JupyterLab on the course (installs first if needed)
	$(BIN)/python -m jupyter lab --notebook-dir=. $(ROOT_FLAG) $(LAB_ARGS)
