# The two set-up commands: `make demo` and `make check` (see README.md).
BUILD ?= build
ASAN  ?= build-asan
JOBS  ?= 2
# Local builds tune for this machine (faster constant-time paths, see
# docs/LIBRARY.md); installable builds keep CMake's portable default.
NATIVE ?= -DCRYPTONN_NATIVE=ON

.PHONY: all deps deps-peers mnist data build asan demo check test test-asan bench python clean

all: build

deps:
	tools/install-deps

deps-peers:
	tools/install-deps --with-peers

mnist: deps
	tools/fetch-mnist

# MNIST and the four small real datasets (tools/fetch-data): the tests of own
# data, the clinic and the Python package train on them.
data: mnist
	tools/fetch-data

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(NATIVE) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DCRYPTONN_SANITIZE=ON $(NATIVE) >/dev/null
	cmake --build $(ASAN) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN) --output-on-failure -j $(JOBS)

check: data test test-asan

demo: mnist build
	$(BUILD)/cryptonn demo

bench: build
	$(BUILD)/cryptonn bench group

# The Python package (python/README.md) on $(PYTHON)'s path: a .pth file in its
# user site directory names this checkout's python/, whose package loads the
# build tree's libcryptonn.so (build/ first; CRYPTONN_LIB names another).
# (`pip install ./python` is the other route.)
PYTHON ?= /usr/bin/python3
python: build
	@d=$$($(PYTHON) -m site --user-site) && mkdir -p "$$d" && \
	  echo "$(CURDIR)/python" > "$$d/cryptonn-checkout.pth" && \
	  echo "python: import cryptonn now loads $(CURDIR)/python ($$d/cryptonn-checkout.pth)"

clean:
	rm -rf $(BUILD) $(ASAN)
