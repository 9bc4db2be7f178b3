# The two commands a new user needs: `make run` and `make test`. Both install what is missing first.
JOBS ?= 2
RELEASE_DIR ?= build/release
TEST_DIR ?= build/test
FUZZ_DIR ?= build/fuzz

.PHONY: all bootstrap build run test bench clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release -DINFRASHARE_TESTS=OFF >/dev/null
	@cmake --build $(RELEASE_DIR) -j$(JOBS)

run: build
	@scripts/run $(RELEASE_DIR)

test: bootstrap
	@scripts/check-format
	@cmake -S . -B $(TEST_DIR) -DCMAKE_BUILD_TYPE=Debug -DINFRASHARE_SANITIZE=ON -DINFRASHARE_BENCH=OFF >/dev/null
	@cmake --build $(TEST_DIR) -j$(JOBS)
	@cd $(TEST_DIR) && ctest --output-on-failure --timeout 600 -j$(JOBS)
	@cmake -S . -B $(FUZZ_DIR) -DINFRASHARE_FUZZ=ON -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
	@cmake --build $(FUZZ_DIR) -j$(JOBS)
	@cd $(FUZZ_DIR) && ctest --output-on-failure --timeout 600 -j$(JOBS)

bench: build
	@bench/run $(RELEASE_DIR)

clean:
	rm -rf build
