# SPDX-License-Identifier: GPL-2.0
#
# cowlab: the module (through kbuild), the userspace programs, the guest
# runs.  `make help` lists the targets.

KDIR ?= /lib/modules/$(shell uname -r)/build
PWD := $(shell pwd)
BUILD ?= $(PWD)/build
# Set STATIC=1 for the busybox guest (no libc there); static programs go
# to a directory of their own, so a host build never lands in the guest.
STATIC ?= 0
BIN := $(BUILD)/bin$(if $(filter 1,$(STATIC)),-static,)

.PHONY: all modules clean install check help setup userspace demo test \
	demo-redis demo-python \
	test-host test-demo-model test-guest bench load lab dkms-test checkpatch

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install
	install -D -m 0755 $(BIN)/cowlab $(DESTDIR)/usr/local/sbin/cowlab 2>/dev/null || true

clean:
	-$(MAKE) -C $(KDIR) M=$(PWD) clean 2>/dev/null
	rm -rf $(BUILD)

help:
	@echo "make [KDIR=dir]   build cowlab.ko for a kernel (default: the running one)"
	@echo "make demo         set up, build, boot the lab VM and show COW happening"
	@echo "make demo-redis   the engineer's tour: a Redis BGSAVE measured by cowlab (6.12)"
	@echo "make demo-python  the same for a Python prefork server, without and with gc.freeze()"
	@echo "make test         set up, build, run every test on every kernel (COWLAB_KERNELS=\"5.10 6.1 6.12 7.x\")"
	@echo "make bench        the benchmarks, in the guest"
	@echo "make load         issue 12's full load run on the debug kernels (1,000 insmod/rmmod cycles, 100,000 fuzz writes; about 1-2 h)"
	@echo "make lab          interactive lab shell in the guest (LAB_KERNEL=5.10|6.1|6.12|7.x, default 6.1)"
	@echo "make check        checkpatch and the host-only tests"
	@echo "make test-host    the host-only tests: the reader's, the demos' model"
	@echo "make userspace    the demos, the reader, the lab's labwait and the guest test programs"

setup:
	@scripts/setup.sh

# ---- userspace ----

USER_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11
USER_LDFLAGS := $(if $(filter 1,$(STATIC)),-static,)
GUEST_TESTS := $(patsubst tests/guest/%.c,$(BIN)/%,$(wildcard tests/guest/*.c))

userspace: $(GUEST_TESTS)
	@mkdir -p $(BIN)
	@if [ -f userspace/demos/Makefile ]; then \
		$(MAKE) -s -C userspace/demos OUT=$(BIN) OBJ=$(BUILD)/obj/demos \
			STATIC=$(STATIC); fi
	@$(MAKE) -s -C userspace/lab OUT=$(BIN) STATIC=$(STATIC)
	@if [ -f userspace/reader/Makefile ]; then \
		$(MAKE) -s -C userspace/reader OUT=$(BIN) STATIC=$(STATIC); fi
	@if [ -f userspace/bpf/Makefile ]; then \
		$(MAKE) -s -C userspace/bpf OUT=$(BIN) OBJ=$(BUILD)/bpf STATIC=$(STATIC); fi

# The guest programs share userspace/lib (tables, taskstats).
USER_LIB := $(wildcard userspace/lib/*.c)
$(BIN)/%: tests/guest/%.c $(USER_LIB) $(wildcard userspace/lib/*.h) $(wildcard tests/guest/*.h)
	@mkdir -p $(BIN)
	$(CC) $(USER_CFLAGS) -Iuserspace/lib -o $@ $< $(USER_LIB) $(USER_LDFLAGS)

# ---- guest runs ----

demo:
	@scripts/ensure-setup.sh
	@scripts/demo.sh

# The engineer's tour: a Redis BGSAVE, or a Python prefork server.
demo-redis demo-python:
	@scripts/ensure-setup.sh
	@scripts/demo-workload.sh $(@:demo-%=%)

test:
	@scripts/ensure-setup.sh
	@scripts/test.sh

bench:
	@scripts/ensure-setup.sh
	@scripts/bench.sh

# make test runs the load and fuzz suites in short (scripts/test.sh,
# tests/guest/kunit.sh say how short); this runs them at full size on the
# debug kernels (KASAN, lockdep, kmemleak), after their KUnit suites.
load:
	@scripts/ensure-setup.sh
	@COWLAB_T_LOAD_CYCLES=$${COWLAB_T_LOAD_CYCLES:-1000} \
	 COWLAB_T_STRESS_SECS=$${COWLAB_T_STRESS_SECS:-60} \
	 COWLAB_T_FUZZ_ITERS=$${COWLAB_T_FUZZ_ITERS:-100000} \
	 COWLAB_T_KUNIT_SUITES="$${COWLAB_T_KUNIT_SUITES:-fuzz load}" \
	 COWLAB_T_TIMEOUT=$${COWLAB_T_TIMEOUT:-10800} \
	 scripts/test.sh kunit

lab:
	@scripts/ensure-setup.sh
	@scripts/vm.sh --interactive --kernel $(or $(LAB_KERNEL),6.1)

check: checkpatch test-host

checkpatch:
	@scripts/checkpatch.sh

# The host tests: the reader's (tests/reader/run.sh) and the demos' model
# (tests/demos/model_test.c, with ASan and UBSan); each prints KTAP.
DEMO_MODEL_TEST := $(BUILD)/tests/demo_model_test
DEMO_MODEL_SRCS := tests/demos/model_test.c userspace/demos/model.c

test-host:
	@rc=0; $(MAKE) -s test-demo-model || rc=1; \
	if [ -x tests/reader/run.sh ]; then tests/reader/run.sh || rc=1; fi; \
	exit $$rc

test-demo-model: $(DEMO_MODEL_TEST)
	@$(DEMO_MODEL_TEST)

$(DEMO_MODEL_TEST): $(DEMO_MODEL_SRCS) $(wildcard userspace/demos/*.h) tests/guest/ktap.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -D_GNU_SOURCE -fsanitize=address,undefined \
		-fno-sanitize-recover=all -Iuserspace/demos -Itests/guest \
		-o $@ $(DEMO_MODEL_SRCS)
