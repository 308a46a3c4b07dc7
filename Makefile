# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MEDIAPIPE := mediapipe==0.10.14
DEMO_DIR := demo-output

.PHONY: demo test lint install bench clean chromium

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	# --no-deps: mediapipe's declared dependencies pull jax and opencv-contrib (~1 GB) that the pose
	# solution never imports; pyproject.toml lists the few it does need.
	$(BIN)/pip install -q --no-deps $(MEDIAPIPE)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/gyml demo --out $(DEMO_DIR)

# two workers: the suite is CPU-bound and each test is independent (own folders, free ports)
test: $(STAMP) chromium
	$(BIN)/python -m pytest -n 2

# The browser tests drive Debian's Chromium (Playwright never downloads a browser here). Installed when
# missing and apt is usable (as root, or with password-less sudo); otherwise those tests skip and say why.
chromium:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else exit 0; fi; \
	  echo "installing chromium for the browser tests"; \
	  $$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO apt-get install -y -q chromium >/dev/null 2>&1; } || \
	  echo "chromium could not be installed: the browser tests will be skipped"; \
	fi

# ruff is pinned in pyproject.toml: its default rules change between versions
lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	# real_data.py is the benchmarks' shared loader; train_flag3d_scale.py takes about an hour.
	for f in benchmarks/*.py; do [ "$$f" = benchmarks/real_data.py ] && continue; echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info
