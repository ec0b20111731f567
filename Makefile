# Run `make` alone to see the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
INPUT  ?= input
OUTPUT ?= output
YEAR   ?= $(shell date +%Y)
COMMUNES ?=
PER    ?= commune
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock

.DEFAULT_GOAL := help
.PHONY: help assess template test bench lint typecheck format lock clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'
	@echo "  make assess INPUT=dir OUTPUT=dir   assess another folder"
	@echo "  make assess REGISTERED=dang-ky.csv count the communes on the registration list"
	@echo "  make assess SCHEMAS=dir            the department's catalogs from dir (default: schemas/ if present)"

# Installs the tested set: every dependency at the version pinned in requirements.lock.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $(STAMP)

assess: $(STAMP) ## assess the workbooks in input/ and write output/ (creates .venv if missing)
	@# exit status 3 (data problems, listed above and in loi-du-lieu.csv) is a finished run, not a make error
	$(BIN)/python -m pipeline assess --input "$(INPUT)" --output "$(OUTPUT)" $(if $(REGISTERED),--registered "$(REGISTERED)") \
	  $(if $(SETTINGS),--settings "$(SETTINGS)") $(if $(SCHEMAS),--schemas "$(SCHEMAS)") \
	  || [ $$? -eq 3 ]

template: $(STAMP) ## blank template output/mau-nhap-lieu-YEAR.xlsx (COMMUNES=list.csv or PROVINCE=37: one per commune; PER=district)
	@# exit status 4 (no criteria catalog for YEAR yet: the message says what to add) is not a make error
	$(BIN)/python -m pipeline template --year "$(YEAR)" --output "$(OUTPUT)" $(if $(COMMUNES),--communes "$(COMMUNES)" --per $(PER)) \
	  $(if $(PROVINCE),--province $(PROVINCE) --per $(PER)) $(if $(SCHEMAS),--schemas "$(SCHEMAS)") \
	  || [ $$? -eq 4 ]

test: $(STAMP) ## run the tests
	$(BIN)/python -m pytest

bench: $(STAMP) ## time assess against its floor (bare read + bare write of its cells): SIZES="province nation 300 3000 10000"
	$(BIN)/python benchmarks/bench.py $(if $(SIZES),--sizes $(SIZES))

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check pipeline tests scripts benchmarks
	$(BIN)/ruff format --check pipeline tests scripts benchmarks

typecheck: $(STAMP) ## mypy on pipeline/ (settings in pyproject.toml)
	$(BIN)/mypy

format: $(STAMP) ## ruff fix and format
	$(BIN)/ruff check --fix pipeline tests scripts benchmarks
	$(BIN)/ruff format pipeline tests scripts benchmarks

# Newest releases allowed by pyproject.toml, resolved in a throwaway venv. Then `make test`
# (which reinstalls from the new lock) and commit requirements.lock with what it needed.
lock: ## re-resolve the dependencies into requirements.lock (then make test, and commit it)
	tmp=$$(mktemp -d) && $(PYTHON) -m venv $$tmp \
	  && $$tmp/bin/python -m pip install --quiet '.[dev]' \
	  && { sed -n '/^#/p' $(LOCK); $$tmp/bin/python -m pip freeze --exclude ntm-ict-assess; } > $(LOCK).new \
	  && mv $(LOCK).new $(LOCK); status=$$?; rm -rf $$tmp $(LOCK).new; exit $$status

clean: ## remove the virtual environment and the files the tool wrote (listed in OUTPUT/tep-do-cong-cu-ghi.txt)
	rm -rf $(VENV) build *.egg-info
	@# only what the tool wrote: an officer's own files in the output folder stay
	list="$(OUTPUT)/tep-do-cong-cu-ghi.txt"; [ ! -f "$$list" ] || { grep -v '^#' "$$list" | grep -v '\.\.' \
	  | while IFS= read -r f; do [ -z "$$f" ] || rm -f -- "$(OUTPUT)/$$f"; done; rm -f -- "$$list"; }
	find "$(OUTPUT)" -mindepth 1 -type d -empty -delete

.PHONY: catalog catalog-new
FILE ?=
catalog: $(STAMP) ## check catalog files (FILE=schemas/criteria-2026-2030.toml; default: schemas/ and the shipped ones)
	$(BIN)/python -m pipeline catalog check $(FILE) $(if $(SCHEMAS),--schemas $(SCHEMAS))

catalog-new: $(STAMP) ## write the starter catalog of a period into schemas/ (PERIOD=2026-2030), never over a file
	$(BIN)/python -m pipeline catalog new $(PERIOD) $(if $(SCHEMAS),--schemas $(SCHEMAS))
