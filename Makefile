# Developer and CI entry points. A new machine (Debian/Ubuntu, root or sudo) needs only:
#     make up      # install/start PostgreSQL + Redis, build, run every service
#     make test    # fmt check, clippy -D warnings, cargo test (what CI runs)
SHELL := /bin/bash
.DEFAULT_GOAL := help

ENV := . scripts/env.sh &&

.PHONY: help up down test ui-test packaging setup build fmt lint logs clean-db reset-db

help: ## list the targets
	@echo "Fleet predictive-maintenance platform"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

up: ## set up, build (release) and run every service; Ctrl-C stops them
	@bash scripts/up.sh

down: ## stop services left running by an `up` that was killed
	@bash scripts/down.sh

test: ## set up, then packaging checks, cargo fmt --check, clippy -D warnings, cargo test, API fuzzing, browser tests
	@bash scripts/test.sh

packaging: ## the packaging checks alone: compose file, Kubernetes manifests, Prometheus rules, Grafana dashboards
	@bash scripts/check-packaging.sh

ui-test: ## the dashboard's browser tests alone (Playwright in Chromium, private platform)
	@bash scripts/ui-test.sh

setup: ## install/start PostgreSQL and Redis, create the role and databases
	@bash scripts/setup.sh

build: ## cargo build --release of the whole workspace
	@$(ENV) cargo build --workspace --release

fmt: ## format the code (cargo fmt --all)
	@$(ENV) cargo fmt --all

lint: ## cargo fmt --check and clippy -D warnings
	@$(ENV) cargo fmt --all -- --check && \
		cargo clippy --workspace --all-targets --locked -- -D warnings

logs: ## follow the logs of the services started by `make up`
	@tail -n 20 -F .run/logs/*.log

clean-db: ## drop leftover test_% databases of earlier test runs
	@bash scripts/db.sh clean-tests

reset-db: ## drop and recreate the seven service databases (asks first)
	@bash scripts/db.sh reset
