# polkfura: one non-recursive Makefile. Objects go to build/<variant>/.
# Variants: release (default), asan (ASan+UBSan), fuzz (clang libFuzzer).

VARIANT   ?= release
BUILD     := build/$(VARIANT)
PF_CACHE  ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/polkfura
# make install (README.md, "Production"). DESTDIR is prepended to every path.
#   PREFIX      /usr/local       BINDIR, MANDIR and SQLDIR below it
#   BINDIR      $(PREFIX)/bin    polkfura-spoa, polkfura-ctl
#   MANDIR      $(PREFIX)/share/man
#   SQLDIR      $(PREFIX)/share/polkfura/sql (compiled into polkfura-ctl)
#   SYSCONFDIR  /etc             polkfura/ (ctl.json, methods.tsv, env files) and
#                                haproxy/ (polkfura.cfg, site files, certs/)
#   UNITDIR     /etc/systemd/system, or /usr/lib/systemd/system when PREFIX=/usr
#   SYSUSERSDIR /etc/sysusers.d, or /usr/lib/sysusers.d when PREFIX=/usr
#   STATEDIR    /var/lib/polkfura (fixed by the units' StateDirectory=)
#   HAPROXY_BIN /usr/sbin/haproxy, the binary the haproxy.service drop-in runs
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
# systemd reads units and sysusers.d from /etc and /usr/lib, never /usr/local.
SD_LIB    := $(if $(filter /usr,$(PREFIX)),/usr/lib,/etc)
UNITDIR   ?= $(SD_LIB)/systemd/system
SYSUSERSDIR ?= $(SD_LIB)/sysusers.d
STATEDIR  := /var/lib/polkfura
HAPROXY_BIN ?= /usr/sbin/haproxy
FUZZ_TIME ?= 60
FUZZ_SECONDS ?= $(FUZZ_TIME)
CI        ?=

CC        ?= gcc
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	     -Wmissing-prototypes -Wvla -Wundef -Wnull-dereference -Wimplicit-fallthrough
CFLAGS_BASE := -std=gnu11 -D_GNU_SOURCE -g $(WARN) -fstack-protector-strong -I. -MMD -MP
ifeq ($(VARIANT),asan)
  OPT     := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  LDSAN   := -fsanitize=address,undefined
else
  OPT     := -O2 -D_FORTIFY_SOURCE=2
  LDSAN   :=
endif
# libpq: polkfura-ctl's `db` commands (Debian's libpq-dev).
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
PQ_LIBS   := $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)
CFLAGS    ?=
ALL_CFLAGS := $(CFLAGS_BASE) $(PQ_CFLAGS) $(OPT) $(CFLAGS)
LDFLAGS   ?=
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm)
SPOA_LIBS := -lev -lmicrohttpd -lpthread -lm
# Snapshots (issue 13): tar + zstd through libarchive, sha256 through OpenSSL's EVP (libcrypto).
SNAP_LIBS := $(shell pkg-config --libs libarchive libzstd libcrypto 2>/dev/null || echo -larchive -lzstd -lcrypto)
CTL_LIBS  := -lev -lcurl -lcjson -lmicrohttpd $(PQ_LIBS) $(SNAP_LIBS) -lpthread -lm

ifeq ($(V),1)
  Q :=
else
  Q := @
endif

COMMON_SRC := $(wildcard common/*.c)
SPOA_SRC   := $(filter-out spoa/main.c,$(wildcard spoa/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
SPOA_OBJ   := $(SPOA_SRC:%.c=$(BUILD)/%.o)
CTL_SRC    := $(filter-out ctl/main.c,$(wildcard ctl/*.c ctl/*/*.c))
CTL_OBJ    := $(CTL_SRC:%.c=$(BUILD)/%.o)
LIBCOMMON  := $(BUILD)/libpfcommon.a

SPOA_BIN   := $(BUILD)/polkfura-spoa
CTL_BIN    := $(BUILD)/polkfura-ctl
BINS       := $(SPOA_BIN) $(if $(wildcard ctl/main.c),$(CTL_BIN))

# Unit tests: tests/unit/check_<mod>.c links <mod>.o (found in spoa/, ctl/ or
# common/), the objects in UNIT_DEPS_<mod>, and libpfcommon.a.
UNIT_SRC   := $(wildcard tests/unit/check_*.c)
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
UNIT_DEPS_rpc := spoa/methods spoa/rpc_class
UNIT_DEPS_methods := spoa/rpc_class
UNIT_DEPS_spoa_cfg := spoa/notify spoa/spop spoa/rpc spoa/methods spoa/rpc_class
UNIT_DEPS_answer := spoa/spop spoa/notify spoa/rpc spoa/methods spoa/rpc_class
UNIT_DEPS_plan := ctl/hapi/hapi_cmd
UNIT_DEPS_ctl_cfg := ctl/cfg_url ctl/snapshot/snapcfg ctl/snapshot/exclude ctl/snapshot/safepath
UNIT_DEPS_snapcfg := ctl/cfg_url ctl/snapshot/exclude ctl/snapshot/safepath
UNIT_DEPS_fetchcfg := ctl/snapshot/snapcfg $(UNIT_DEPS_snapcfg)
UNIT_DEPS_spool := ctl/db/reccodec
UNIT_DEPS_logline := ctl/stats/syslog
UNIT_DEPS_agg := ctl/stats/hist ctl/stats/logline ctl/stats/syslog
UNIT_DEPS_rowtab := ctl/stats/statsprom ctl/stats/agg ctl/stats/hist ctl/stats/methtab \
	ctl/stats/logline ctl/stats/syslog
UNIT_DEPS_usage_capacity := ctl/usage/capacity
UNIT_DEPS_usage_args := ctl/report/report_fmt
UNIT_DEPS_usage_agg := ctl/stats/hist ctl/usage/usage_render ctl/usage/usage_table ctl/usage/usage_args \
	ctl/report/report_fmt
UNIT_DEPS_report_render := ctl/report/report_fmt ctl/report/report_html ctl/usage/capacity_render \
	ctl/usage/usage_table
UNIT_DEPS_page := ctl/web/status ctl/poll/noderpc ctl/report/report_fmt
# Unit tests link their module, libpfcommon and cJSON only: a pure module that
# reached for libev, libcurl or libmicrohttpd would not link. The poller is I/O.
UNIT_LIBS_poller := -lev -lcurl -lmicrohttpd -lpthread
UNIT_DEPS_prober := ctl/probe/probe_eval ctl/poll/poller
UNIT_LIBS_prober := -lev -lcurl -lmicrohttpd -lpthread
UNIT_DEPS_admin := ctl/web/http ctl/state
UNIT_LIBS_admin := -lev -lmicrohttpd -lpthread
UNIT_LIBS_state := -lev -lpthread
UNIT_DEPS_walk := ctl/snapshot/exclude ctl/snapshot/safepath
objs_of = $(addprefix $(BUILD)/,$(addsuffix .o,$(1)))
unit_mod = $(firstword $(wildcard spoa/$(1).c ctl/$(1).c ctl/*/$(1).c common/$(1).c))

# Integration tests: Check binaries linked with the harness library.
HARNESS_SRC := $(filter-out tests/harness/dbw_drive.c,$(wildcard tests/harness/*.c))
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(BUILD)/%.o)
INTEG_SRC  := $(wildcard tests/integration/test_*.c)
INTEG_BINS := $(INTEG_SRC:tests/integration/%.c=$(BUILD)/tests/integration/%)
# A suite that tests controller modules directly links them (INTEG_DEPS_) and their libraries.
INTEG_DEPS_snapshot_pack := ctl/snapshot/pack ctl/snapshot/walk ctl/snapshot/exclude \
	ctl/snapshot/safepath
INTEG_LIBS_snapshot_pack := $(SNAP_LIBS)
INTEG_DEPS_s3 := ctl/snapshot/s3 ctl/snapshot/s3creds ctl/snapshot/s3xml ctl/db/sha256
INTEG_DEPS_s3_sigv4 := $(INTEG_DEPS_s3)
INTEG_LIBS_s3 := $(SNAP_LIBS)
INTEG_LIBS_s3_sigv4 := $(SNAP_LIBS)
INTEG_DEPS_ipfs := ctl/snapshot/ipfs ctl/snapshot/ipfs_add_parse ctl/snapshot/safepath ctl/snapshot/pack \
	ctl/snapshot/walk ctl/snapshot/exclude
INTEG_LIBS_ipfs := $(SNAP_LIBS)
INTEG_DEPS_snapshot_upload := ctl/snapshot/mpwrite ctl/snapshot/mpstate $(INTEG_DEPS_snapshot_pack) $(INTEG_DEPS_s3)
INTEG_LIBS_snapshot_upload := $(SNAP_LIBS)
INTEG_DEPS_snapshot_nodehead := ctl/snapshot/nodehead ctl/poll/noderpc
INTEG_DEPS_snapshot_publish_ipfs := ctl/snapshot/pubipfs ctl/db/sha256 $(INTEG_DEPS_ipfs)
INTEG_LIBS_snapshot_publish_ipfs := $(SNAP_LIBS)
INTEG_DEPS_snapshot_partsize := ctl/snapshot/tarbound ctl/snapshot/partsize $(INTEG_DEPS_snapshot_upload)
INTEG_LIBS_snapshot_partsize := $(SNAP_LIBS)
# The suites run against Debian's haproxy (2.6) first, then every suite that
# starts haproxy again against 3.4, built by `make deps-test` (tests/peers/).
HAPROXY_34 := $(PF_CACHE)/haproxy-3.4.0/haproxy
# promtool, extracted from Debian's prometheus package by make deps-test (tools/deps.sh).
PROMTOOL   ?= $(PF_CACHE)/prometheus/promtool
# test_spoa_agent and test_spoa_attack start no HAProxy; test_ctl_admin tests the controller's
# own HTTP server; test_db_migrate, test_report and test_usage only the controller and PostgreSQL;
# test_db_writer the write path (through dbw_drive) and PostgreSQL; test_ctl_record what the
# controller writes to PostgreSQL (HAProxy only serves as the stage there); test_ctl_probe the
# controller's probes (HAProxy only stands for the other region's edge); test_ctl_cachet the push to
# a fake Cachet (HAProxy only a stage, as in test_ctl_record); test_snapshot_pack the snapshot
# packer against GNU tar and zstd; test_s3 and test_s3_sigv4 the snapshot S3 client against
# s3rver, a capture server and botocore; test_snapshot_fetch `snapshot fetch` against s3rver;
# test_ipfs the IPFS client against js-ipfs; test_snapshot_{upload,nodehead,publish} the
# publisher against s3rver and the node simulator;
# test_harness the harness itself. One name a line, so branches adding suites merge cleanly.
HAP34_SKIP := test_spoa_agent test_spoa_attack test_ctl_admin test_db_migrate test_db_writer \
	test_report test_usage test_ctl_record test_ctl_probe test_ctl_cachet
HAP34_SKIP += test_snapshot_pack
HAP34_SKIP += test_s3
HAP34_SKIP += test_s3_sigv4
HAP34_SKIP += test_snapshot_fetch
HAP34_SKIP += test_harness
HAP34_SKIP += test_ipfs
HAP34_SKIP += test_snapshot_upload
HAP34_SKIP += test_snapshot_partsize
HAP34_SKIP += test_snapshot_nodehead
HAP34_SKIP += test_snapshot_publish
HAP34_SKIP += test_snapshot_publish_files
HAP34_SKIP += test_snapshot_record
HAP34_SKIP += test_snapshot_publish_ipfs
# The README's demo walk-through against s3rver and the node simulator.
HAP34_SKIP += test_snapshot_demo
HAP34_SKIP += test_snapshot_resume
HAP34_SKIP += test_snapshot_recover
HAP34_BINS ?= $(filter-out $(HAP34_SKIP:%=\%/%),$(INTEG_BINS))
# The writer on a loop, steered by test_db_writer and db_bench.sh (tests/harness/dbw_drive.c).
DBW_DRIVE  := $(BUILD)/tests/harness/dbw_drive

# Fuzz targets: tests/fuzz/fuzz_<t>.c with UNIT-style deps; replayed by a gcc driver.
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_DEPS_spop := spoa/spop spoa/answer spoa/notify spoa/rpc spoa/methods spoa/rpc_class \
		  tests/harness/spop_client
FUZZ_DEPS_rpc  := spoa/rpc spoa/methods spoa/rpc_class
FUZZ_DEPS_hapi_cmd := ctl/hapi/hapi_cmd
FUZZ_DEPS_noderpc  := ctl/poll/noderpc
FUZZ_DEPS_ctl_cfg  := ctl/ctl_cfg ctl/cfg_url ctl/snapshot/snapcfg ctl/snapshot/exclude ctl/snapshot/safepath
FUZZ_DEPS_reccodec := ctl/db/reccodec
FUZZ_DEPS_report_fmt := ctl/report/report_fmt
FUZZ_DEPS_logline := ctl/stats/syslog ctl/stats/logline ctl/stats/hist ctl/stats/agg
FUZZ_DEPS_usage_args := ctl/usage/usage_args ctl/usage/usage_agg ctl/stats/hist ctl/report/report_fmt
FUZZ_DEPS_cachet_api := ctl/cachet/cachet_api
FUZZ_DEPS_s3xml := ctl/snapshot/s3xml
REPLAY_BINS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/replay_%)

BENCH_SRC  := $(wildcard tests/bench/*.c)

.PHONY: all test unit integration capture-haproxy-logs nodesim-selftest monitoring terraform-check drift \
	fuzz-replay asan asan-short fuzz fuzz-smoke bench demo deps deps-test \
	install uninstall check-install clean \
	format format-check lint shellcheck check-docs

all: $(BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SPOA_BIN): $(BUILD)/spoa/main.o $(SPOA_OBJ) $(LIBCOMMON)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(SPOA_LIBS)

$(CTL_BIN): $(BUILD)/ctl/main.o $(CTL_OBJ) $(LIBCOMMON)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(CTL_LIBS)

# Where `db migrate` finds the sql/ migrations when --sql-dir is not given.
SQLDIR    ?= $(PREFIX)/share/polkfura/sql
$(BUILD)/ctl/main.o: ALL_CFLAGS += -DPF_SQL_DIR='"$(SQLDIR)"'

.SECONDARY: # keep objects that pattern chains would delete as intermediates
.SECONDEXPANSION:
$(BUILD)/tests/unit/check_%: $(BUILD)/tests/unit/check_%.o \
		$$(call objs_of,$$(basename $$(call unit_mod,$$*)) $$(UNIT_DEPS_$$*)) $(LIBCOMMON)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) -lcjson $(UNIT_LIBS_$*)

$(BUILD)/tests/integration/test_%: $(BUILD)/tests/integration/test_%.o $(HARNESS_OBJ) \
		$$(call objs_of,$$(INTEG_DEPS_$$*)) $(LIBCOMMON)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) -lcurl -lcjson -lpthread $(INTEG_LIBS_$*)

$(DBW_DRIVE): $(BUILD)/tests/harness/dbw_drive.o $(BUILD)/ctl/db/writer.o $(BUILD)/ctl/db/spool.o \
		$(BUILD)/ctl/db/reccodec.o \
		$(BUILD)/ctl/db/dbconn.o $(LIBCOMMON)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ -lev -lcjson $(PQ_LIBS)
$(BUILD)/tests/integration/test_db_writer: | $(DBW_DRIVE)

$(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o \
		$$(call objs_of,$$(FUZZ_DEPS_$$*)) $(LIBCOMMON)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ -lcjson

# The log ingestion's pure half (tests/bench/logparse_bench.sh).
$(BUILD)/tests/bench/logparse_bench: $(BUILD)/tests/bench/logparse_bench.o \
		$(call objs_of,ctl/stats/syslog ctl/stats/logline ctl/stats/hist ctl/stats/agg) $(LIBCOMMON)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^

# The status page's render cost (tests/bench/page_bench.sh).
$(BUILD)/tests/bench/page_bench: $(BUILD)/tests/bench/page_bench.o \
		$(call objs_of,ctl/web/page ctl/web/status ctl/poll/noderpc ctl/report/report_fmt) \
		$(LIBCOMMON)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ -lcjson

# The IPFS client's add throughput against js-ipfs (tests/bench/ipfs_bench.sh).
$(BUILD)/tests/bench/ipfs_bench: $(BUILD)/tests/bench/ipfs_bench.o \
		$(call objs_of,ctl/snapshot/ipfs ctl/snapshot/ipfs_add_parse ctl/snapshot/safepath \
		ctl/snapshot/walk ctl/snapshot/exclude) $(LIBCOMMON)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ -lcurl -lcjson

# The snapshot packer's throughput and memory (tests/bench/pack_bench.sh).
$(BUILD)/tests/bench/pack_bench: $(BUILD)/tests/bench/pack_bench.o \
		$(call objs_of,ctl/snapshot/pack ctl/snapshot/walk ctl/snapshot/exclude \
		ctl/snapshot/safepath) $(LIBCOMMON)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(SNAP_LIBS)

# The multipart writer's throughput, parallel 1 against 4 (tests/bench/upload_bench.sh).
$(BUILD)/tests/bench/upload_bench: $(BUILD)/tests/bench/upload_bench.o \
		$(call objs_of,ctl/snapshot/mpwrite ctl/snapshot/mpstate $(INTEG_DEPS_s3)) $(LIBCOMMON)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ -lcurl -lcjson -lpthread $(SNAP_LIBS)

$(BUILD)/tests/bench/%: $(BUILD)/tests/bench/%.o $(SPOA_OBJ) $(LIBCOMMON)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(SPOA_LIBS)

# ---- test targets ---------------------------------------------------------

ifeq ($(CI),true)
CI_CHECKS := format-check lint check-docs
endif

test: deps-test all $(CI_CHECKS) unit check-install fuzz-replay nodesim-selftest monitoring terraform-check \
	integration asan-short fuzz-smoke
	@echo "make test: all suites passed"

unit: $(UNIT_BINS)
	$(Q)tests/run-suites.sh 30 $(UNIT_BINS)

# The node simulator every integration suite stands on, checked against the reply files and
# jsonrpsee's behaviour before any suite trusts it (about 8 s; its ports are the kernel's).
nodesim-selftest:
	@mkdir -p build
	$(Q)NODE_PATH=$(PF_CACHE)/npm/node_modules bash tests/harness/nodesim_selftest.sh >build/nodesim-selftest.log 2>&1 \
		|| { cat build/nodesim-selftest.log; echo "FAILED: nodesim-selftest"; exit 1; }
	@tail -1 build/nodesim-selftest.log | sed 's/^/nodesim-selftest: /'

# The alerting and recording rules, their promtool unit tests, the central
# prometheus.yml and the Grafana dashboards (haproxy/monitoring/check.sh, a few
# seconds). Whether their metric names exist is test_monitoring's job.
monitoring:
	$(Q)PROMTOOL=$(PROMTOOL) haproxy/monitoring/check.sh

# terraform/ parsed with @cdktf/hcl2json and checked on the JSON, each check also run on a
# broken copy of the tree that it must fail (tests/terraform/check.py, about 4 s); make
# drift's exit-status mapping against a stub terraform (drift_test.sh); terraform test with a
# mocked AWS provider and validate of the region roots where terraform and the provider are
# installed (tf-test.sh, about 12 s of CPU; it says so and skips otherwise). Offline.
terraform-check:
	$(Q)NODE_PATH=$(PF_CACHE)/npm/node_modules python3 tests/terraform/check.py
	$(Q)tests/terraform/drift_test.sh
	$(Q)tests/terraform/tf-test.sh

# Does what runs in AWS and Cloudflare match terraform/? terraform plan in each root (needs
# terraform, credentials and terraform init; not in make test). terraform/README.md.
drift:
	$(Q)tools/drift.sh

fuzz-replay: $(REPLAY_BINS)
	$(Q)for t in $(FUZZ_NAMES); do \
		$(BUILD)/tests/fuzz/replay_$$t tests/fuzz/corpus/$$t || exit 1; done

# SUITE_JOBS=2 runs two suites at a time (tests/run-suites.sh, PF_SUITE_JOBS): release on 2.6
# took 233 s instead of 426 s. It is not the default: next to another suite, test_ws_concurrency
# saw HAProxy 2.6 open 30 agent connections (bound 16), and under ASan on 3.4 test_ctl_stats
# lost a request to the 50 ms SPOE processing timeout. Both bounds are about load.
SUITE_JOBS ?= 1
integration: all $(INTEG_BINS) $(HAP34_BINS)
	$(Q)PF_SUITE_JOBS=$(SUITE_JOBS) PF_BUILD=$(BUILD) PF_CACHE=$(PF_CACHE) \
		tests/run-suites.sh 120 $(INTEG_BINS)
ifneq ($(strip $(HAP34_BINS)),)
	$(Q)test -x $(HAPROXY_34) || { echo "integration: no $(HAPROXY_34); run make deps-test"; exit 1; }
	$(Q)PF_SUITE_JOBS=$(SUITE_JOBS) PF_HAPROXY=$(HAPROXY_34) PF_BUILD=$(BUILD) \
		PF_CACHE=$(PF_CACHE) tests/run-suites.sh 120 $(HAP34_BINS)
endif

# make install in a temporary DESTDIR: the tree, re-install and uninstall, the
# units (systemd-analyze), the man pages, haproxy -c on the installed config
# (2.6 and 3.4) and the installed agent started and stopped
# (tests/install/check-install.sh, a few seconds).
check-install: all
	$(Q)VARIANT=$(VARIANT) HAPROXY_34=$(HAPROXY_34) tests/install/check-install.sh

# Re-captures tests/data/haproxy-logs/: the syslog datagrams HAProxy 2.6 and 3.4 send for a
# fixed set of requests, RFC 3164 and 5424 (tests/data/haproxy-logs/README.md).
capture-haproxy-logs: all $(BUILD)/tests/integration/test_haproxy_logs
	$(Q)test -x $(HAPROXY_34) || { echo "capture-haproxy-logs: no $(HAPROXY_34); run make deps-test"; exit 1; }
	$(Q)for hap in /usr/sbin/haproxy $(HAPROXY_34); do \
		PF_HAPROXY=$$hap PF_CAPTURE_DIR=$(CURDIR)/tests/data/haproxy-logs PF_BUILD=$(BUILD) \
		PF_CACHE=$(PF_CACHE) tests/run-suites.sh 120 $(BUILD)/tests/integration/test_haproxy_logs \
		|| exit 1; done

# The sanitizer run inside `make test`: unit tests, fuzz replay and every
# integration suite under ASan+UBSan, against Debian's haproxy only (the 3.4
# pass checks HAProxy, not our memory). The harness fails a test on a
# sanitizer report in any log or command output and on a child that does not
# exit as documented (tests/harness/children.h), leaks included.
asan-short:
	$(Q)$(MAKE) --no-print-directory VARIANT=asan all unit fuzz-replay HAP34_BINS= integration

# Two targets at a time: each fuzzer is one process, the machine has two cores. Each target's
# output is held until it ends (--output-sync), so logs and results do not interleave.
fuzz-smoke:
	$(Q)$(MAKE) --no-print-directory -j2 --output-sync=target fuzz FUZZ_SECONDS=20

asan:
	$(Q)$(MAKE) --no-print-directory VARIANT=asan all unit fuzz-replay integration

FUZZ_CC    ?= clang
FUZZ_FLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz: $(FUZZ_NAMES:%=fuzz-one-%)

# One target: built with clang, then run for FUZZ_SECONDS on a corpus of its own plus the
# committed one.
fuzz-one-%:
	$(Q)mkdir -p build/fuzz/corpus_$*
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o build/fuzz/fuzz_$* tests/fuzz/fuzz_$*.c common/*.c \
		$(FUZZ_DEPS_$*:%=%.c) -lcjson
	$(Q)build/fuzz/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		$(if $(wildcard tests/fuzz/$*.dict),-dict=tests/fuzz/$*.dict) \
		-artifact_prefix=build/fuzz/ build/fuzz/corpus_$* tests/fuzz/corpus/$* \
		>build/fuzz/fuzz_$*.log 2>&1 || { tail -40 build/fuzz/fuzz_$*.log; \
		echo "fuzz $*: FAILED, crash input in build/fuzz/"; exit 1; }
	@echo "fuzz $*: $(FUZZ_SECONDS) s, $$(sed -n 's/^stat::number_of_executed_units: //p' \
		build/fuzz/fuzz_$*.log) inputs, no crash"

bench: all $(DBW_DRIVE)
	$(Q)tests/bench/run.sh $(BUILD)
	$(Q)PF_CACHE=$(PF_CACHE) tests/bench/ctl_bench.sh $(BUILD)
	$(Q)tests/bench/rules_bench.sh $(BUILD)
	$(Q)PF_CACHE=$(PF_CACHE) tests/bench/attack_figures.sh $(BUILD)
	$(Q)tests/bench/db_bench.sh $(BUILD)
	$(Q)tests/bench/report_bench.sh $(BUILD)
	$(Q)tests/bench/logparse_bench.sh $(BUILD)
	$(Q)tests/bench/page_bench.sh $(BUILD)
	$(Q)PF_CACHE=$(PF_CACHE) tests/bench/ingest_bench.sh $(BUILD)
	$(Q)HAPROXY_34=$(HAPROXY_34) tests/bench/memory_bench.sh $(BUILD)
	$(Q)tests/bench/pack_bench.sh $(BUILD)
	$(Q)PF_CACHE=$(PF_CACHE) tests/bench/upload_bench.sh $(BUILD)
	$(Q)tests/bench/fetch_bench.sh $(BUILD)
	$(Q)PF_CACHE=$(PF_CACHE) tests/bench/publish_bench.sh $(BUILD)
	$(Q)PF_CACHE=$(PF_CACHE) tests/bench/ipfs_bench.sh $(BUILD)

demo: deps all
	$(Q)PF_BUILD=$(BUILD) PF_CACHE=$(PF_CACHE) tests/demo.sh

# What make and make demo need (Node.js 18.14 or newer will do); deps-test adds the test and
# bench toolchain, the npm test peers (Node.js 20) and HAProxy 3.4 (tools/deps.sh).
deps:
	$(Q)PF_CACHE=$(PF_CACHE) tools/deps.sh demo

deps-test:
	$(Q)PF_CACHE=$(PF_CACHE) tools/deps.sh test

# ---- install ---------------------------------------------------------------
# Shipped files (binaries, man pages, SQL, units, polkfura.cfg, the SPOE file,
# the methods table and its unsafe list) are replaced at every install. Files an
# admin edits (SITE_CONF) are installed only when absent and never removed.
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@SQLDIR@|$(SQLDIR)|g' -e 's|@HAPROXY_BIN@|$(HAPROXY_BIN)|g'
DIST_UNITS := polkfura-spoa.service polkfura-ctl.service polkfura-ctl-migrate.service
# The publisher's; installed, not enabled (dist/systemd/polkfura-snapshot.timer.in).
DIST_UNITS += polkfura-snapshot.service polkfura-snapshot.timer
ETC_PF     := $(SYSCONFDIR)/polkfura
ETC_HAP    := $(SYSCONFDIR)/haproxy
# source (after @...@ substitution) -> destination, mode
SITE_CONF  := dist/etc/haproxy.env.in:$(ETC_PF)/haproxy.env:0644 \
	dist/etc/spoa.env:$(ETC_PF)/spoa.env:0644 \
	haproxy/backends.cfg:$(ETC_HAP)/backends.cfg:0644 \
	haproxy/chains.map:$(ETC_HAP)/chains.map:0644
SHIPPED    := haproxy/haproxy.cfg:$(ETC_HAP)/polkfura.cfg:0644 \
	haproxy/spoe-polkfura.conf:$(ETC_HAP)/spoe-polkfura.conf:0644 \
	haproxy/unsafe-methods.txt:$(ETC_HAP)/unsafe-methods.txt:0644 \
	haproxy/methods.tsv:$(ETC_PF)/methods.tsv:0644 \
	dist/etc/ctl.json.example:$(ETC_PF)/ctl.json.example:0644 \
	dist/sysusers-polkfura.conf:$(SYSUSERSDIR)/polkfura.conf:0644 \
	dist/systemd/haproxy-polkfura.conf.in:$(UNITDIR)/haproxy.service.d/polkfura.conf:0644 \
	$(foreach u,$(DIST_UNITS),dist/systemd/$(u).in:$(UNITDIR)/$(u):0644) \
	man/polkfura-spoa.8:$(MANDIR)/man8/polkfura-spoa.8:0644 \
	man/polkfura-ctl.8:$(MANDIR)/man8/polkfura-ctl.8:0644

install:
	@test -x $(SPOA_BIN) -a -x $(CTL_BIN) || { echo "install: build first (make all)"; exit 1; }
	@grep -qaF '$(SQLDIR)' $(CTL_BIN) || { echo "install: $(CTL_BIN) was built with another SQLDIR" \
		"(its db commands would look elsewhere than $(SQLDIR)); rebuild with the same PREFIX/SQLDIR:" \
		"make clean && make PREFIX=$(PREFIX)"; exit 1; }
	install -D -m 0755 $(SPOA_BIN) $(DESTDIR)$(BINDIR)/polkfura-spoa
	install -D -m 0755 $(CTL_BIN) $(DESTDIR)$(BINDIR)/polkfura-ctl
	install -d $(DESTDIR)$(SQLDIR)
	install -m 0644 sql/[0-9][0-9][0-9]_*.sql $(DESTDIR)$(SQLDIR)/
	$(Q)for f in $(SHIPPED); do src=$${f%%:*}; rest=$${f#*:}; dst=$(DESTDIR)$${rest%%:*}; \
		install -d $$(dirname $$dst) && $(SUBST) $$src >$$dst.tmp && chmod $${rest##*:} $$dst.tmp && \
		mv -f $$dst.tmp $$dst && echo "install: $$dst" || exit 1; done
	$(Q)for f in $(SITE_CONF); do src=$${f%%:*}; rest=$${f#*:}; dst=$(DESTDIR)$${rest%%:*}; \
		if [ -e $$dst ]; then echo "install: kept $$dst (exists; the shipped one is $$src)"; \
		else install -d $$(dirname $$dst) && $(SUBST) $$src >$$dst.tmp && chmod $${rest##*:} $$dst.tmp && \
		mv -f $$dst.tmp $$dst && echo "install: $$dst (site file: never overwritten)" || exit 1; fi; done
	install -d -m 0700 $(DESTDIR)$(ETC_HAP)/certs
	install -d -m 0755 $(DESTDIR)$(STATEDIR)
	$(Q)if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		systemd-sysusers $(SYSUSERSDIR)/polkfura.conf && systemctl daemon-reload; \
	else echo "install: next, as root: systemd-sysusers; systemctl daemon-reload (README.md, \"Production\")"; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/polkfura-spoa $(DESTDIR)$(BINDIR)/polkfura-ctl
	rm -f $(DESTDIR)$(SQLDIR)/[0-9][0-9][0-9]_*.sql
	-rmdir $(DESTDIR)$(SQLDIR) $(DESTDIR)$(dir $(SQLDIR)) 2>/dev/null
	$(Q)for f in $(SHIPPED); do rest=$${f#*:}; echo "uninstall: $(DESTDIR)$${rest%%:*}"; \
		rm -f $(DESTDIR)$${rest%%:*}; done
	-rmdir $(DESTDIR)$(UNITDIR)/haproxy.service.d 2>/dev/null
	@echo "uninstall: kept the site files (yours, possibly edited): $(foreach f,$(SITE_CONF),$(DESTDIR)$(word 2,$(subst :, ,$(f))))"
	@echo "uninstall: kept $(DESTDIR)$(ETC_HAP)/certs/ and the state in $(DESTDIR)$(STATEDIR)/; the users stay too"

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	$(Q)clang-format -i $(C_FILES)

format-check:
	$(Q)clang-format --dry-run --Werror $(C_FILES)

SRC_C = $(shell git ls-files 'common/*.c' 'spoa/*.c' 'ctl/*.c' 'ctl/*/*.c' 2>/dev/null)
lint: shellcheck
	$(Q)cppcheck --quiet --enable=warning,performance,portability --inline-suppr \
		--error-exitcode=1 --std=c11 -I. --suppress=missingIncludeSystem \
		common spoa ctl tests/unit tests/fuzz
	$(Q)tools/check-structure.sh
	$(Q)for f in $(SRC_C); do clang-tidy --quiet $$f -- -std=gnu11 -D_GNU_SOURCE -I. $(PQ_CFLAGS) \
		2>/dev/null || exit 1; done; echo "clang-tidy: function sizes ok"

# Every shell script git tracks, by extension and by #! line (tools/shellcheck.sh, seconds).
shellcheck:
	$(Q)tools/shellcheck.sh

check-docs: all
	$(Q)tools/check-docs.sh

clean:
	rm -rf build

# packer/: both templates validated offline, the scripts shellchecked, the node's unit and its
# RPC limits against the edge's, the edge's wiring and haproxy -c (packer/check.sh, a few seconds).
# Part of make test (its own rule line, so it merges apart from the test rule); deps-test brings
# packer, all the binaries its make install DESTDIR= needs.
.PHONY: packer-check packer-src
test: packer-check
packer-check: deps-test all
	$(Q)PF_CACHE=$(PF_CACHE) packer/check.sh

# The source the edge image builds (packer/README.md): the committed tree, HEAD.
packer-src:
	@mkdir -p build
	$(Q)git archive --format=tar.gz -o build/polkfura-src.tar.gz HEAD
	@echo "packer-src: build/polkfura-src.tar.gz ($$(git describe --always --dirty))"

-include $(shell find build -name '*.d' 2>/dev/null)

# Issue 13, snapshot names and manifests (ctl/snapshot/): the fuzz targets' objects.
FUZZ_DEPS_safepath := ctl/snapshot/safepath
FUZZ_DEPS_manifest := ctl/snapshot/manifest ctl/snapshot/safepath
FUZZ_DEPS_filelist := ctl/snapshot/filelist ctl/snapshot/safepath
FUZZ_DEPS_ipfs_add_parse := ctl/snapshot/ipfs_add_parse ctl/snapshot/safepath
UNIT_DEPS_manifest := ctl/snapshot/safepath
UNIT_DEPS_mpstate := ctl/db/sha256
UNIT_DEPS_filelist := ctl/snapshot/safepath ctl/db/sha256
UNIT_DEPS_destdir := ctl/snapshot/safepath
UNIT_LIBS_blockq := -lpthread
UNIT_DEPS_ipfs_add_parse := ctl/snapshot/safepath
