# Two commands on a fresh machine: `make run` starts the service, `make test` runs every test.
# Both install what they need first (a virtualenv, the pinned Node runtime, LocalStack for tests).

PYTHON ?= python3
LOCALSTACK_PYTHON ?= python3.11
# Chalice deploys the runtime of the Python it runs under; the bundled Node needs python3.12+.
DEPLOY_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3.12)
STAGE ?= prod
VENV := .venv
PY := $(VENV)/bin/python
LOCALSTACK_VENV := .venv-localstack
DEPS_STAMP := $(VENV)/.deps-installed
LOCALSTACK_STAMP := $(LOCALSTACK_VENV)/.installed
DEPLOY_VENV := .venv-deploy
DEPLOY_STAMP := $(DEPLOY_VENV)/.installed
MINISTACK_VENV := .venv-ministack
MINISTACK_STAMP := $(MINISTACK_VENV)/.installed
NODE := .cache/node/bin/node
# A Debian package, fetching the package lists first if a clean machine has none.
apt_install = apt-get install -y -q $(1) >/dev/null 2>&1 || \
	(apt-get update -q >/dev/null && apt-get install -y -q $(1) >/dev/null)

.PHONY: run test test-fast load bench install node layer localstack deploy-venv ministack compose pgbouncer \
	package deploy destroy deploy-local destroy-local lint clean

run: install
	$(PY) -m infra.local.launcher

test: install localstack deploy-venv ministack compose pgbouncer
	$(PY) -m ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

# The service's logic on in-memory twins (no server, no Node): seconds. `make test` runs it too.
test-fast: $(DEPS_STAMP)
	$(PY) -m pytest tests/fast -q

# The load test with a crash in the middle, full size (make test runs it with 150).
load: install
	$(PY) -m bench.load --n 2000

# Speed against the physical floor (BENCH_N=50 make bench for a one-minute run).
bench: install
	$(PY) -m bench.run

install: $(DEPS_STAMP) node

$(DEPS_STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node: $(DEPS_STAMP)
	$(PY) -m runner.node_runtime

# The Lambda layer: bin/node + the harness, zipped to build/node-layer.zip.
layer: node
	$(PY) -m runner.layer

# LocalStack without Docker, in a virtualenv of its own (Python 3.11; newer releases need 3.12+).
# pyOpenSSL 26 dropped X509.add_extensions, which LocalStack 4.13.1 calls to make its TLS cert.
localstack: $(LOCALSTACK_STAMP)

$(LOCALSTACK_STAMP):
	test -x $(LOCALSTACK_VENV)/bin/python || $(LOCALSTACK_PYTHON) -m venv $(LOCALSTACK_VENV)
	$(LOCALSTACK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		'localstack-core[runtime]==4.13.1' 'cbor2<6' 'pyOpenSSL==25.3.0'
	touch $@

# Packaging and deploying run under Python 3.12+ in a virtualenv of their own.
deploy-venv: $(DEPLOY_STAMP)

$(DEPLOY_STAMP): requirements.txt requirements-deploy.txt
	test -x $(DEPLOY_VENV)/bin/python || $(DEPLOY_PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-deploy.txt
	touch $@

# ministack, the local emulator that runs the deployed functions (make deploy-local), under
# Python 3.12 like the Lambdas.
ministack: $(MINISTACK_STAMP)

$(MINISTACK_STAMP): requirements-ministack.txt
	test -x $(MINISTACK_VENV)/bin/python || $(DEPLOY_PYTHON) -m venv $(MINISTACK_VENV)
	$(MINISTACK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-ministack.txt
	touch $@

# The prod stage's artifacts deployed into ministack with a real PostgreSQL, left running; writes
# build/local-deploy.json. See README "Try the deployed topology locally".
deploy-local: install deploy-venv ministack
	$(PY) -m infra.deploy.ministack deploy $(DEPLOY_LOCAL_ARGS)

destroy-local: install
	$(PY) -m infra.deploy.ministack destroy

# A Compose CLI to check docker-compose.localstack.yml (no Docker engine needed): Docker's plugin
# if present, else Debian's docker-compose.
compose:
	docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || \
		$(call apt_install,docker-compose)

# PgBouncer in transaction mode stands in for RDS Proxy in the store's tests (Debian's package).
pgbouncer:
	test -x /usr/sbin/pgbouncer || $(call apt_install,pgbouncer)

# The prod stage as a SAM template (build/sam/sam.json + deployment.zip) and the Node layer.
package: install deploy-venv
	$(DEPLOY_VENV)/bin/python -m infra.deploy.package --stage $(STAGE)

# Migrate, package, upload, create or update the stage's CloudFormation stack. README "Deploying".
deploy: install deploy-venv
	$(DEPLOY_VENV)/bin/python -m infra.deploy.stack deploy --stage $(STAGE) $(DEPLOY_ARGS)

destroy: deploy-venv
	$(DEPLOY_VENV)/bin/python -m infra.deploy.stack destroy --stage $(STAGE)

lint: $(DEPS_STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) $(LOCALSTACK_VENV) $(DEPLOY_VENV) $(MINISTACK_VENV) .cache build .pytest_cache .ruff_cache
