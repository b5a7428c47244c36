# The course's two commands: `make lab` opens it, `make test` checks it.
# Both create .venv and install the pinned set on first use. `make help` lists
# every target.

include venv.mk

.DEFAULT_GOAL := help
PYTEST_ARGS ?=
# Test files run on this many workers (pytest-xdist), each with its own temporary courses, in the order
# tests/conftest.py sets (slowest first; xdist would otherwise reorder them by their number of tests).
PYTEST_JOBS ?= 2
COURSE := $(BIN)/python -m coursetools

.PHONY: help test outputs student-notebooks student-bundle release roster collect autograde feedback grades similarity leaderboard clean-venv

help: ## list the targets, one line each
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Instructor steps in detail: $(BIN)/python -m coursetools --help (after make install)"

test: $(STAMP) ## run the whole test suite (creates .venv first if needed)
	$(BIN)/python -m pytest -n $(PYTEST_JOBS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# Maintainers: after editing solutions/, store the outputs nbval checks, then
# regenerate the student notebooks (it refuses to overwrite uncommitted edits).
outputs: $(STAMP) ## maintainers: re-run solutions/ and store the outputs nbval checks
	$(BIN)/python scripts/store_checked_outputs.py

student-notebooks: $(STAMP) ## maintainers: regenerate notebooks/ from solutions/
	$(COURSE) student-notebooks

# Instructors: the nbgrader cycle. The gradebook (gradebook.db) stays in the
# course root; no target deletes it or a submission.
student-bundle: $(STAMP) ## instructors: write dist/recsys-course-student.zip, what students get (LESSONS=a,b: only those)
	$(COURSE) student-bundle $(if $(LESSONS),--lessons "$(LESSONS)")

release: $(STAMP) ## instructors: check, regenerate notebooks/ and register the lessons (LESSON=a,b; REGRADE=1 after a change)
	$(COURSE) release $(if $(LESSON),--lessons "$(LESSON)") $(if $(REGRADE),--regrade) $(if $(JOBS),--jobs $(JOBS))

roster: $(STAMP) ## instructors: import the class list, CSV= Canvas's or Moodle's gradebook export
	$(COURSE) roster --csv "$(CSV)"

collect: $(STAMP) ## instructors: LESSON='s submissions into submitted/, from ZIP= the platform's download (no ZIP: the hub's exchange)
	$(COURSE) collect --lesson "$(LESSON)" $(if $(ZIP),--zip "$(ZIP)")

autograde: $(STAMP) ## instructors: grade new and changed submissions in the sandbox, JOBS at a time or on SCHEDULER= (FORCE=1 all, STUDENT=, ASSIGNMENT=, UNSANDBOXED=1)
	$(COURSE) autograde $(if $(FORCE),--force) $(if $(STUDENT),--student $(STUDENT)) \
	  $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) $(if $(JOBS),--jobs $(JOBS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) \
	  $(if $(UNSANDBOXED),--unsandboxed)

feedback: $(STAMP) ## instructors: write feedback/<student>/<lesson>/<lesson>.html
	$(COURSE) feedback

grades: $(STAMP) ## instructors: write grades.csv, one row per student and lesson (FORMAT=canvas|moodle: the platform's import file)
	$(COURSE) grades $(if $(FORMAT),--format $(FORMAT))

similarity: $(STAMP) ## instructors: similarity/LESSON/report.html and pairs.csv, every pair of LESSON='s submissions ranked by shared gap code
	$(COURSE) similarity --lesson "$(LESSON)"

leaderboard: $(STAMP) ## instructors: write leaderboard.csv and .html, the challenge ranked by hidden Recall@20
	$(COURSE) leaderboard

clean-venv: ## delete .venv (the next command re-creates it)
	rm -rf $(VENV)
