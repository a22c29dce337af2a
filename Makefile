# The two commands of the README: `make demo` and `make test`. Both are idempotent: they install
# what is missing (Debian packages, a virtualenv, the package) and rebuild only what changed.
PYTHON ?= python3
VENV ?= .venv
BUILD ?= build/dev
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/python
# Where the unit tests find the native test programs (tests/native) of the build they test.
export SIPERB_NATIVE_TEST_DIR := $(CURDIR)/$(BUILD)
FUZZ_SECONDS ?= 20
# atheris over the Python-facing entry points (fuzz/python/fuzz_boundary.py), each this long.
PY_FUZZ_SECONDS ?= 10
PY_FUZZ_TARGETS := sip framer uri sdp rtp rtcp rtcp-lenient telephone-event info-and-sipfrag-bodies bad-request

.PHONY: demo test test-unit test-asan test-asan-integration asan-build fuzz bench bench-ci lint build bootstrap demo-bootstrap clean docs wheel test-wheel

# Two install paths: `make demo` installs only what the demo needs (build tools and the codec,
# SRTP and PortAudio libraries); `make test` also installs the test peers. Both idempotent.
demo-bootstrap: .stamps/demo-bootstrap
.stamps/demo-bootstrap: scripts/bootstrap.sh
	bash scripts/bootstrap.sh demo
	@mkdir -p .stamps && touch $@

bootstrap: .stamps/bootstrap
.stamps/bootstrap: scripts/bootstrap.sh
	bash scripts/bootstrap.sh all
	@mkdir -p .stamps && touch $@ .stamps/demo-bootstrap

$(VENV)/.stamp: requirements-dev.txt .stamps/demo-bootstrap
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# Development build: ninja in $(BUILD), the extension copied into python/siperb, a .pth file
# so the virtualenv imports siperb from the source tree (an editable install), and the
# `siperb` console script as a tiny wrapper (a pip editable install is much slower).
build: $(VENV)/.stamp
	@test -f $(BUILD)/build.ninja || cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DSIPERB_INPLACE=ON -DPython_EXECUTABLE=$(abspath $(PY)) \
	  -Dpybind11_DIR=$$($(PY) -m pybind11 --cmakedir)
	cmake --build $(BUILD)
	@echo "$(CURDIR)/python" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/siperb-dev.pth
	@printf '#!%s\nimport sys\nfrom siperb.cli import main\nsys.exit(main())\n' "$(abspath $(PY))" > $(VENV)/bin/siperb
	@chmod +x $(VENV)/bin/siperb

demo: build
	$(PY) -m siperb demo

# The wheel is built too (make wheel; about 10 minutes the first time on 2 cores, then only
# what changed): tests/wheel installs it with the system's libraries hidden.
test: bootstrap build fuzz test-asan test-asan-integration wheel bench-ci
	$(PY) -m ruff check python tests benchmarks
	$(PY) -m mypy python/siperb
	$(STUBTEST)
	SIPERB_REQUIRE_WHEEL=1 $(PY) -m pytest -q tests

test-unit: bootstrap build
	$(PY) -m pytest -q tests/unit

# The Python suites against an ASan/UBSan build of the extension: tests/unit (test-asan), and
# tests/integration (test-asan-integration; real peers do not get the sanitizer runtime, see
# tests/peers/procs.py) with leak detection on. LSan keeps the top ASAN_LEAK_FRAMES frames of each allocation and
# tests/lsan.supp suppresses only leaks allocated by the interpreter itself (CPython does not
# free its heap at exit): a leak allocated from siperb's code has our frames on top and is
# reported, failing the run.
ASAN_LEAK_FRAMES ?= 6
ASAN_RUN = PYTHONPATH=$(CURDIR)/build/asan/pkg SIPERB_NATIVE_TEST_DIR=$(CURDIR)/build/asan \
  LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so) $(ASAN_PRELOAD)" \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
asan-build: $(VENV)/.stamp
	@test -f build/asan/build.ninja || cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSIPERB_SANITIZE=ON -DPython_EXECUTABLE=$(abspath $(PY)) \
	  -Dpybind11_DIR=$$($(PY) -m pybind11 --cmakedir)
	cmake --build build/asan
	rm -rf build/asan/pkg && mkdir -p build/asan/pkg && cp -r python/siperb build/asan/pkg/
	rm -f build/asan/pkg/siperb/_core*.so && cp build/asan/_core*.so build/asan/pkg/siperb/

test-asan: asan-build
	$(ASAN_RUN) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	  $(PY) -m pytest -q -p no:cacheprovider tests/unit

# ALSA's pulse plugin (opened through PortAudio by the device tests) is unloaded before exit
# with 12 KB it allocated: LSan reported them in an "<unknown module>" that no suppression can
# name. build/asan/keep_modules.so (tests/native/lsan_keep_modules.c, preloaded for this run
# only) makes dlclose() keep libraries mapped: the plugin's memory stays reachable from its
# globals (no report), and a real leak in it would carry its name for tests/lsan.supp.
build/asan/keep_modules.so: tests/native/lsan_keep_modules.c
	@mkdir -p build/asan
	gcc -shared -fPIC -O2 -o $@ $<

test-asan-integration: ASAN_PRELOAD = $(CURDIR)/build/asan/keep_modules.so
test-asan-integration: asan-build build/asan/keep_modules.so
	$(ASAN_RUN) PYTHONMALLOC=malloc \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=1:malloc_context_size=$(ASAN_LEAK_FRAMES) \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  $(PY) -m pytest -q -p no:cacheprovider tests/integration

# libFuzzer targets (clang), each run for a bounded time on its seed corpus, then atheris
# over the Python boundary (bytes into siperb.sip.parse, the framer, SDP... through the
# bindings: an exception that is not a siperb.errors one is a finding, exit 77).
# Each target's output goes to build/fuzz/<name>.log and its exit status is checked directly
# (a pipe into tail would report tail's status): a crash, leak or timeout fails the target.
fuzz: bootstrap build
	@test -f build/fuzz/build.ninja || CXX=clang++ cmake -S . -B build/fuzz -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIPERB_FUZZ=ON -DSIPERB_PYTHON=OFF
	cmake --build build/fuzz
	@for t in build/fuzz/fuzz_*; do \
	  [ -x "$$t" ] || continue; name=$$(basename $$t); \
	  mkdir -p fuzz/corpus-$$name; \
	  echo "fuzzing $$name for $(FUZZ_SECONDS)s"; \
	  rc=0; $$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=0 -artifact_prefix=fuzz/ \
	    fuzz/corpus-$$name $$( [ -d fuzz/seeds/$$name ] && echo fuzz/seeds/$$name ) >build/fuzz/$$name.log 2>&1 || rc=$$?; \
	  if [ $$rc -ne 0 ]; then tail -n 40 build/fuzz/$$name.log; \
	    echo "$$name FAILED (exit $$rc); full output in build/fuzz/$$name.log"; exit 1; fi; \
	  tail -n 2 build/fuzz/$$name.log; \
	done
	@for name in $(PY_FUZZ_TARGETS); do \
	  echo "fuzzing py_$$name for $(PY_FUZZ_SECONDS)s (atheris)"; \
	  rc=0; $(PY) fuzz/python/fuzz_boundary.py $$name fuzz/corpus-py_$$name -max_total_time=$(PY_FUZZ_SECONDS) \
	    -max_len=4096 -print_final_stats=0 -artifact_prefix=fuzz/ >build/fuzz/py_$$name.log 2>&1 || rc=$$?; \
	  if [ $$rc -ne 0 ]; then tail -n 40 build/fuzz/py_$$name.log; \
	    echo "py_$$name FAILED (exit $$rc); full output in build/fuzz/py_$$name.log"; exit 1; fi; \
	  tail -n 1 build/fuzz/py_$$name.log; \
	done

bench: bootstrap build
	$(PY) -m pytest -q benchmarks --benchmark-only

# A short pass of the parser and G.711 benchmarks against their alternatives (siperb, sippy,
# audioop only): fails when a same-run ratio falls below its floor in benchmarks/floors.py.
# Results are kept as pytest-benchmark JSON in build/bench/ (compare runs with
# `$(PY) -m pytest_benchmark compare --storage build/bench`).
BENCH_CI_TESTS = benchmarks/bench_sip_parse.py benchmarks/bench_codec_g711.py
# A floor missed in the first pass is measured once more; only two misses in a row fail.
BENCH_CI_RUN = $(PY) -m pytest -q -p no:cacheprovider $(BENCH_CI_TESTS) --benchmark-only \
	  -k "siperb or sippy or audioop" --benchmark-max-time=0.3 \
	  --benchmark-storage=file://build/bench --benchmark-autosave
bench-ci: build
	$(BENCH_CI_RUN) || { echo "bench-ci: first pass failed (above); measuring once more"; \
	  $(BENCH_CI_RUN); }

# The hand-written stub python/siperb/_core.pyi checked against the built extension (the
# allowlist holds only commented, justified entries).
STUBTEST = $(PY) -m mypy.stubtest siperb._core --allowlist tests/stubtest_allowlist.txt

lint: build
	$(PY) -m ruff check python tests benchmarks
	$(PY) -m mypy python/siperb
	$(STUBTEST)
	$(PY) -m ruff format --check python tests benchmarks

# The API reference (HTML in docs/api), generated from the docstrings and the stubs by pdoc.
docs: build
	$(PY) -m pdoc --docformat restructuredtext -o docs/api siperb
	@echo "API reference: docs/api/index.html"

# A wheel as PyPI takes it: opus, speexdsp and srtp2 built from Debian's source packages and
# linked statically (build/deps, built once; libsrtp2 on a static libcrypto), PortAudio loaded
# at run time;
# then auditwheel gives it the lowest manylinux tag its symbols allow (wheelhouse/).
# Built once: the scikit-build tree in build/cp3*-linux_* is reused, so a rebuild only
# compiles what changed.
WHEEL_DEPS ?= $(CURDIR)/build/deps
wheel: $(VENV)/.stamp
	bash scripts/build_static_deps.sh $(WHEEL_DEPS)
	rm -f dist/siperb-*.whl
	SIPERB_STATIC_DEPS=1 SIPERB_DEPS_PREFIX=$(WHEEL_DEPS) $(PY) -m build --wheel --no-isolation --outdir dist .
	rm -f wheelhouse/siperb-*.whl
	PATH=$(abspath $(VENV))/bin:$$PATH $(PY) -m auditwheel repair --exclude libportaudio.so.2 -w wheelhouse dist/siperb-*.whl
	$(PY) -m auditwheel show wheelhouse/siperb-*.whl

# The built wheel installed into a fresh virtualenv where the system's codec, SRTP, PortAudio
# and NSS libraries are hidden (root, a private mount namespace): part of `make test`.
test-wheel: wheel
	SIPERB_REQUIRE_WHEEL=1 $(PY) -m pytest -q -p no:cacheprovider tests/wheel

clean:
	rm -rf build .stamps python/siperb/_core*.so
