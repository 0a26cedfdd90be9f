# proclab: the one entry point.  `make help` lists the targets.
#
# Everything is built out of tree into $(O) (default build/); every program
# lands in $(O)/bin.  Sources are found by wildcard, so adding a lab, a
# benchmark family, a mechanism or a test is adding a file: this Makefile
# does not change.
#
#   labs/TOPIC/NAME.c      -> $(O)/bin/NAME            (one file, lab.h only)
#   labs/pool/pool.c       -> $(O)/obj/libpool.a       (the pool library: linked
#                             into every labs/pool lab, bench_pool, unit tests)
#   bench/core/*.c         -> $(O)/obj/libbenchcore.a  (the harness core)
#   bench/bench_FAM.cc     -> $(O)/bin/bench_FAM       (+ bench/FAM/*.c + core)
#   bench/tools/NAME.c     -> $(O)/bin/NAME            (helpers the harness runs)
#   tests/unit/test_*.c    -> $(O)/tests/test_*        (cmocka, + family code + core)
#
# Flags: C11 with GNU extensions, -Wall -Wextra -Werror everywhere.  Your own
# CFLAGS/CXXFLAGS/LDFLAGS are appended.  SANITIZE=1 adds ASan + UBSan.  When
# the flags change, objects are rebuilt (the settings are kept in
# $(O)/.settings), so `make test SANITIZE=1` after `make test` is safe.
# V=1 shows full commands.

O        ?= build
BIN      := $(O)/bin
OBJ      := $(O)/obj
TESTBIN  := $(O)/tests
NPROC    := $(shell nproc 2>/dev/null || echo 2)

CC       ?= cc
CXX      ?= c++
STD_C    := -std=gnu11
STD_CXX  := -std=gnu++17
WARN     := -Wall -Wextra -Werror
OPT      ?= -O2
DEBUG    := -g
DEFS     := -D_GNU_SOURCE

ifeq ($(SANITIZE),1)
  OPT    := -O1
  SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer
endif

ALL_CFLAGS   := $(STD_C) $(WARN) $(OPT) $(DEBUG) $(DEFS) $(SAN) -MMD -MP $(CFLAGS)
ALL_CXXFLAGS := $(STD_CXX) $(WARN) $(OPT) $(DEBUG) $(DEFS) $(SAN) -MMD -MP $(CXXFLAGS)
ALL_LDFLAGS  := $(SAN) $(LDFLAGS)
LAB_LIBS     := -pthread -lrt
CORE_LIBS    := -lhwloc -pthread -lrt -lm
BENCH_LIBS   := -lbenchmark $(CORE_LIBS)
UNIT_LIBS    := -lcmocka $(CORE_LIBS)

ifeq ($(V),1)
  Q :=
  say :=
else
  Q := @
  say = @printf '  %-6s %s\n' $(1) $(2);
endif

# ---------------------------------------------------------------------------
# Rebuild from scratch when compiler or flags change (never mix ASan objects
# with plain ones).
SETTINGS := $(CC) $(CXX) $(ALL_CFLAGS) $(ALL_CXXFLAGS) $(ALL_LDFLAGS)
NO_BUILD_GOALS := clean help deps test-mutants exercises grade
ifneq ($(filter-out $(NO_BUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
  ifneq ($(SETTINGS),$(shell cat $(O)/.settings 2>/dev/null))
    $(shell rm -rf $(OBJ) $(BIN) $(TESTBIN); mkdir -p $(O); \
            printf '%s' '$(SETTINGS)' > $(O)/.settings)
  endif
endif

# ---------------------------------------------------------------------------
# Labs: each labs/TOPIC/NAME.c is one program, built alone.
# The pool library is not a lab: the pool topic's labs, the pool benchmark
# and the unit tests link it (labs/pool/pool.h + pool.c).
POOL_SRC  := $(wildcard labs/pool/pool.c)
POOL_LIB  := $(if $(POOL_SRC),$(OBJ)/libpool.a)
LAB_SRCS  := $(filter-out $(POOL_SRC),$(sort $(wildcard labs/*/*.c)))
# labs/distributed/*.c are MPI programs: built with mpicc (Open MPI) when it
# is installed, skipped with a note otherwise (make deps installs it).
MPICC     := $(shell command -v mpicc 2>/dev/null)
MPI_LABS  := $(wildcard labs/distributed/*.c)
ifeq ($(MPICC),)
  ifneq ($(MPI_LABS),)
    $(info note: no mpicc (Open MPI): not building $(notdir $(MPI_LABS:.c=)))
  endif
  LAB_SRCS := $(filter-out $(MPI_LABS),$(LAB_SRCS))
endif
LAB_NAMES := $(notdir $(LAB_SRCS:.c=))
LAB_BINS  := $(addprefix $(BIN)/,$(LAB_NAMES))
ifneq ($(words $(LAB_NAMES)),$(words $(sort $(LAB_NAMES))))
  $(error two labs share a name: $(LAB_NAMES))
endif

# A lab of labs/pool/ also links the pool library.
lab_extra = $(if $(filter labs/pool/%,$(1)),$(POOL_LIB))
# A lab of labs/distributed/ is compiled by mpicc.
lab_cc = $(if $(filter labs/distributed/%,$(1)),$(MPICC),$$(CC))
define lab_rule
$(BIN)/$(notdir $(1:.c=)): $(1) $(call lab_extra,$(1)) | $(BIN) $(OBJ)/labs
	$$(call say,CC,$$@)
	$(Q)$(call lab_cc,$(1)) $$(ALL_CFLAGS) -MF $(OBJ)/labs/$(notdir $(1:.c=)).d \
	    -o $$@ $$< $(call lab_extra,$(1)) $$(ALL_LDFLAGS) $$(LAB_LIBS)
endef
$(foreach s,$(LAB_SRCS),$(eval $(call lab_rule,$(s))))

# ---------------------------------------------------------------------------
# Harness: the C core as a static library, one binary per family.
CORE_SRCS := $(sort $(wildcard bench/core/*.c))
CORE_OBJS := $(CORE_SRCS:%.c=$(OBJ)/%.o)
CORE_LIB  := $(OBJ)/libbenchcore.a
FAMILIES  := $(patsubst bench/bench_%.cc,%,$(sort $(wildcard bench/bench_*.cc)))
BENCH_BINS := $(addprefix $(BIN)/bench_,$(FAMILIES))
TOOL_SRCS := $(sort $(wildcard bench/tools/*.c))
TOOL_BINS := $(addprefix $(BIN)/,$(notdir $(TOOL_SRCS:.c=)))

$(OBJ)/libpool.a: $(OBJ)/labs/pool/pool.o
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(CORE_LIB): $(CORE_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

define family_rule
$(BIN)/bench_$(1): $(OBJ)/bench/bench_$(1).o \
    $(patsubst %.c,$(OBJ)/%.o,$(sort $(wildcard bench/$(1)/*.c))) $(CORE_LIB) \
    $(if $(filter pool,$(1)),$(POOL_LIB)) | $(BIN)
	$$(call say,LINK,$$@)
	$(Q)$$(CXX) $$(ALL_LDFLAGS) -o $$@ $$^ $$(BENCH_LIBS)
endef
$(foreach f,$(FAMILIES),$(eval $(call family_rule,$(f))))

# Each family's C code as an archive too, for the unit tests.
FAMILY_LIBS := $(patsubst %,$(OBJ)/libbench_%.a,$(FAMILIES))
define family_lib_rule
$(OBJ)/libbench_$(1).a: $(patsubst %.c,$(OBJ)/%.o,$(sort $(wildcard bench/$(1)/*.c)))
	$$(call say,AR,$$@)
	$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach f,$(FAMILIES),$(eval $(call family_lib_rule,$(f))))

# A tool named FAMILY_... (spawn_probe) also links that family's C code.
# Tools stay small: no hwloc (spawn_probe is timed for how little it maps;
# a tool that needs the topology would fail to link, loudly).
TOOL_LIBS := -pthread -lrt -lm
tool_family = $(filter $(FAMILY_LIBS),$(OBJ)/libbench_$(firstword $(subst _, ,$(1))).a)
.SECONDEXPANSION:
$(BIN)/%: bench/tools/%.c $$(call tool_family,$$*) $(CORE_LIB) | $(BIN)
	$(call say,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Ibench -MF $(OBJ)/tools-$*.d -o $@ $< \
	    $(call tool_family,$*) $(CORE_LIB) $(ALL_LDFLAGS) $(TOOL_LIBS)

# MPI benchmark programs: bench/mpi/NAME.c -> $(BIN)/NAME, run under mpirun
# (scripts/mpirun.sh) by the ipc and pool families' extra.sh; they use the
# core and the pool family's calibrated work.  Built with mpicc when present.
MPI_TOOL_SRCS := $(if $(MPICC),$(sort $(wildcard bench/mpi/*.c)))
MPI_TOOL_BINS := $(addprefix $(BIN)/,$(notdir $(MPI_TOOL_SRCS:.c=)))
$(MPI_TOOL_BINS): $(BIN)/%: bench/mpi/%.c $(OBJ)/libbench_pool.a $(CORE_LIB) | $(BIN)
	$(call say,MPICC,$@)
	$(Q)$(MPICC) $(ALL_CFLAGS) -Ibench -MF $(OBJ)/mpi-$*.d -o $@ $< \
	    $(OBJ)/libbench_pool.a $(CORE_LIB) $(ALL_LDFLAGS) $(CORE_LIBS)

$(OBJ)/%.o: %.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(ALL_CFLAGS) -Ibench -c -o $@ $<

$(OBJ)/%.o: %.cc
	$(call say,CXX,$@)
	$(Q)mkdir -p $(@D) && $(CXX) $(ALL_CXXFLAGS) -Ibench -c -o $@ $<

# ---------------------------------------------------------------------------
# C unit tests (cmocka): tests/unit/test_NAME.c, linked with every family's
# code and the core (archives: only what a test uses is pulled in).
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(addprefix $(TESTBIN)/,$(notdir $(UNIT_SRCS:.c=)))

$(TESTBIN)/%: tests/unit/%.c $(FAMILY_LIBS) $(CORE_LIB) $(POOL_LIB) | $(TESTBIN)
	$(call say,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Ibench -Ilabs -MF $(OBJ)/unit-$*.d -o $@ $< \
	    $(FAMILY_LIBS) $(CORE_LIB) $(POOL_LIB) $(ALL_LDFLAGS) $(UNIT_LIBS)

$(BIN) $(OBJ)/labs $(TESTBIN):
	$(Q)mkdir -p $@

-include $(wildcard $(OBJ)/*.d $(OBJ)/labs/*.d $(OBJ)/labs/*/*.d $(OBJ)/bench/*.d \
                    $(OBJ)/bench/*/*.d)

# ---------------------------------------------------------------------------
# Exercises: labs/TOPIC/exercises/NAME.c is the starter a student edits (a
# subfolder, so the labs' wildcard above does not take it for a lab),
# docs/answers/exercises/NAME.c its reference solution, NAME.check what
# scripts/grade.sh runs against the program.  Built with the labs' flags
# into $(OBJ)/exercises/{starter,solution,student}/NAME.  `make grade` does not
# rebuild the rest of $(O) when the flags differ: the exercises keep a
# settings stamp of their own.
EX_SRCS   := $(sort $(wildcard labs/*/exercises/*.c))
EX_NAMES  := $(notdir $(EX_SRCS:.c=))
ifneq ($(words $(EX_NAMES)),$(words $(sort $(EX_NAMES))))
  $(error two exercises share a name: $(EX_NAMES))
endif
EX_OUT    := $(OBJ)/exercises
EX_BINS   := $(foreach n,$(EX_NAMES),$(EX_OUT)/starter/$(n) $(EX_OUT)/solution/$(n))
EX_CFLAGS  = $(filter-out -MMD -MP,$(ALL_CFLAGS)) -Ilabs
# An exercise that includes "pool/pool.h" compiles the pool library in (not
# libpool.a: `make grade` may use other flags than the rest of $(O)).
EX_WITH_POOL := $(if $(EX_SRCS),$(shell grep -l 'pool/pool\.h' $(EX_SRCS)))
ex_pool = $(if $(filter $(1),$(EX_WITH_POOL)),labs/pool/pool.c)
ex_pool_deps = $(if $(call ex_pool,$(1)),labs/pool/pool.c labs/pool/pool.h)
ifneq ($(filter-out clean help deps exercises,$(or $(MAKECMDGOALS),all)),)
  ifneq ($(SETTINGS),$(shell cat $(EX_OUT)/.settings 2>/dev/null))
    $(shell rm -rf $(EX_OUT); mkdir -p $(EX_OUT); \
            printf '%s' '$(SETTINGS)' > $(EX_OUT)/.settings)
  endif
endif

define ex_rule
$(EX_OUT)/starter/$(notdir $(1:.c=)): $(1) labs/lab.h $(call ex_pool_deps,$(1))
	$$(call say,CC,$$@)
	$(Q)mkdir -p $$(@D) && $$(CC) $$(EX_CFLAGS) -o $$@ $$< $(call ex_pool,$(1)) \
	    $$(ALL_LDFLAGS) $$(LAB_LIBS)
$(EX_OUT)/solution/$(notdir $(1:.c=)): docs/answers/exercises/$(notdir $(1)) labs/lab.h \
    $(call ex_pool_deps,$(1))
	$$(call say,CC,$$@)
	$(Q)mkdir -p $$(@D) && $$(CC) $$(EX_CFLAGS) -o $$@ $$< $(call ex_pool,$(1)) \
	    $$(ALL_LDFLAGS) $$(LAB_LIBS)
endef
$(foreach s,$(EX_SRCS),$(eval $(call ex_rule,$(s))))

# make grade EX=NAME [SRC=file.c | SOLUTION=1]
EX_KIND := $(if $(SRC),student,$(if $(filter 1,$(SOLUTION)),solution,starter))
EX_BIN  := $(if $(filter $(EX),$(EX_NAMES)),$(EX_OUT)/$(EX_KIND)/$(EX))
EX_WHAT := $(or $(SRC),$(if $(filter 1,$(SOLUTION)),docs/answers/exercises/$(EX).c,$(filter %/$(EX).c,$(EX_SRCS))))
ifneq ($(and $(SRC),$(EX_BIN)),)
EX_STARTER := $(filter %/$(EX).c,$(EX_SRCS))
$(EX_OUT)/student/$(EX): $(SRC) labs/lab.h FORCE
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(EX_CFLAGS) -o $@ $< $(call ex_pool,$(EX_STARTER)) \
	    $(ALL_LDFLAGS) $(LAB_LIBS)
endif
.PHONY: FORCE
FORCE:

# ---------------------------------------------------------------------------
# Targets a person types.

.DEFAULT_GOAL := all

.PHONY: all
all: labs bench-bins tools unit-bins exercise-bins ## build every lab, benchmark and test program

.PHONY: labs
labs: $(LAB_BINS) ## build the labs only

.PHONY: bench-bins
bench-bins: $(BENCH_BINS) ## build the benchmark binaries only

.PHONY: tools
tools: $(TOOL_BINS) $(MPI_TOOL_BINS)

.PHONY: unit-bins
unit-bins: $(UNIT_BINS)

.PHONY: exercise-bins
exercise-bins: $(EX_BINS)

.PHONY: exercises
exercises: ## list the exercises (make grade EX=NAME grades one)
	@printf '%s\n' $(sort $(EX_NAMES))

.PHONY: grade
grade: $(EX_BIN) ## grade an exercise: EX=NAME [SRC=your.c | SOLUTION=1]
	@scripts/grade.sh '$(EX)' '$(EX_BIN)' '$(EX_WHAT)'

.PHONY: deps
deps: ## install missing Debian/Ubuntu packages (apt-get; sudo when not root)
	@scripts/deps.sh

.PHONY: test
test: ## install deps, build, run every test (TESTS=path... to run some)
	@scripts/deps.sh
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@PROCLAB_BUILD=$(O) scripts/run_tests.sh $(TESTS)

# Not part of `make test`: the lab suite 10 times under stress-ng --cpu 2,
# then the full signal sweep; prints the count of failures (0 wanted).
.PHONY: test-stress
test-stress: ## the lab suite 10x under CPU load (stress-ng), full signal sweep; prints failures (slow)
	@scripts/deps.sh
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@PROCLAB_BUILD=$(O) scripts/test_stress.sh

# Not part of `make test`: it rebuilds and reruns tests once per mutant.
# It works in a copy of the tree (never this one); MUTANTS_ARGS="--head"
# copies the last commit, "--only REGEX" runs some mutants.
.PHONY: test-mutants
test-mutants: ## plant each bug of tests/mutants/*.tsv in a copy, run its tests, print the score (slow)
	@/usr/bin/python3 tests/mutants/run.py $(MUTANTS_ARGS)

.PHONY: bench
bench: ## install deps, build, run the quick suite (FULL=1: full sweeps), plot, report
	@scripts/deps.sh
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@PROCLAB_BUILD=$(O) scripts/bench.sh $(if $(filter 1,$(FULL)),--full,--quick)

.PHONY: report
report: ## rebuild plots and report of the latest run (RUN=results/DIR for another)
	@PROCLAB_BUILD=$(O) scripts/report.sh $(or $(RUN),results/latest)

.PHONY: compare
compare: ## compare two runs: A=RUN B=RUN (folders or make share archives)
	@if [ -z "$(A)" ] || [ -z "$(B)" ]; then \
	    echo 'make compare: give two runs, e.g. make compare A=results/reference/NAME B=results/latest' >&2; \
	    exit 2; fi
	@scripts/compare.py --out results/compare-$(notdir $(basename $(basename $(abspath $(A)))))-vs-$(notdir $(basename $(basename $(abspath $(B))))) "$(A)" "$(B)"

.PHONY: share
share: ## pack one run into a small archive to send (RUN=results/DIR, default latest)
	@scripts/share.sh $(or $(RUN),results/latest)

.PHONY: mpi-demo
mpi-demo: $(if $(MPICC),$(BIN)/mpi_pool $(BIN)/mpi_mapreduce) ## run the MPI labs (labs/distributed) on 2 ranks of this machine
	@if [ -z "$(MPICC)" ]; then \
	    echo 'make mpi-demo: Open MPI is not installed (make deps installs it)' >&2; exit 1; fi
	scripts/mpirun.sh --np 2 -- $(BIN)/mpi_pool
	scripts/mpirun.sh --np 2 -- $(BIN)/mpi_mapreduce

.PHONY: clean-ipc
clean-ipc: ## remove proclab IPC objects left by a crashed run (yours only)
	@scripts/clean_ipc.sh

.PHONY: clean
clean: ## remove build/ (results/ is kept)
	rm -rf $(O)

.PHONY: help
help: ## this list
	@echo 'proclab: process concurrency labs and benchmarks'
	@echo
	@echo 'Targets:'
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
	    awk -F':.*## ' '{ printf "  make %-10s %s\n", $$1, $$2 }'
	@echo
	@echo 'Variables:'
	@echo '  O=DIR        build directory (default build)'
	@echo '  SANITIZE=1   build with AddressSanitizer + UndefinedBehaviorSanitizer'
	@echo '  FULL=1       with bench: the full sweeps instead of the quick suite'
	@echo '  TESTS=...    with test: only these .bats files or directories'
	@echo '  EX=NAME      with grade: the exercise (make exercises lists them)'
	@echo '  SRC=FILE     with grade: grade this file instead of the starter'
	@echo '  SOLUTION=1   with grade: grade the reference solution'
	@echo '  A=RUN B=RUN  with compare: the two runs (folders or .tar.gz from make share)'
	@echo '  RUN=DIR      with report or share: the run folder (default results/latest)'
	@echo '  V=1          show full compiler commands'
	@echo '  CC, CXX, CFLAGS, CXXFLAGS, LDFLAGS   appended to the fixed flags'
