# Cloudup. On a fresh Debian/Ubuntu machine `make run` and `make test` are all
# you need: each installs the system packages it is missing first (apt-get,
# through sudo when not root) and prints what it installs.

GO        ?= go
BUILD     := $(CURDIR)/.build
SCRATCH   := $(BUILD)/test-env
ARTIFACTS := $(BUILD)/test-output

# System packages: building the window (cgo, GL, X11, Wayland) and running the
# tests (virtual display, session bus, a real Secret Service, ffmpeg for the
# camera and video posters, ImageMagick's `import` for screenshots).
BUILD_PKGS := gcc libc6-dev pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev
RUN_PKGS   := libgl1-mesa-dri
TEST_PKGS  := xvfb xauth dbus gnome-keyring libsecret-tools ffmpeg imagemagick xdotool
# Node.js runs the sandbox's Node SDK check; Debian's nodejs is installed only
# when no node is on PATH, so a node from nvm or NodeSource is never replaced.
NODE_PKGS  := $(if $(shell command -v node 2>/dev/null),,nodejs npm)

.PHONY: run test test-core test-gui bench package lint cli gui deps-build deps-test clean

## run: build the desktop app and open its window.
run: deps-build gui
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
	  echo "make run: no display (neither DISPLAY nor WAYLAND_DISPLAY is set); run it from a desktop session, or try: xvfb-run make run"; exit 2; fi
	$(BUILD)/cloudup

## gui / cli: build the binaries into .build/
gui: deps-build
	$(GO) build -o $(BUILD)/cloudup ./cmd/cloudup
cli:
	CGO_ENABLED=0 $(GO) build -o $(BUILD)/cloudup-cli ./cmd/cloudup-cli

## test: every test, headless, against a real keychain inside a private D-Bus session.
test: deps-build deps-test
	@rm -rf $(SCRATCH) && mkdir -p $(SCRATCH)/home $(SCRATCH)/config $(SCRATCH)/data $(SCRATCH)/cache $(SCRATCH)/run $(ARTIFACTS) && chmod 700 $(SCRATCH)/run
	$(TEST_ENV) dbus-run-session -- sh -c '$(WITH_KEYRING) \
	  CGO_ENABLED=0 $(GO) test -count=1 -timeout 40m -artifacts -outputdir $(ARTIFACTS) ./core/... ./ui/... ./cmd/cloudup-cli/... && \
	  $(GO) test -count=1 -timeout 20m -artifacts -outputdir $(ARTIFACTS) ./cmd/cloudup/...'
	@echo "test artifacts (screenshots, logs): $(ARTIFACTS)"

# Tests never see the user's home, keyrings or config.
TEST_ENV := env HOME=$(SCRATCH)/home XDG_CONFIG_HOME=$(SCRATCH)/config XDG_DATA_HOME=$(SCRATCH)/data \
	XDG_CACHE_HOME=$(SCRATCH)/cache XDG_RUNTIME_DIR=$(SCRATCH)/run CLOUDUP_REQUIRE_KEYCHAIN=1 \
	CLOUDUP_CONFIG_DIR= CLOUDUP_DATA_DIR= CLOUDINARY_URL= DISPLAY= WAYLAND_DISPLAY=

# Starts gnome-keyring's Secret Service on the private session bus, unlocks a
# throwaway login keyring, waits until it answers, and stops it afterwards.
WITH_KEYRING := printf cloudup-test | gnome-keyring-daemon --foreground --unlock --components=secrets >$(SCRATCH)/keyring.log 2>&1 & kpid=$$!; \
	trap "kill $$kpid 2>/dev/null" EXIT; \
	for i in $$(seq 100); do dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
	  org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true && break; sleep 0.1; done;

## bench: upload benchmarks against the sandbox with a simulated WAN.
bench: cli
	CGO_ENABLED=0 $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./core/transfer/... ./ui/...

## lint: formatting and vet.
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	CGO_ENABLED=0 $(GO) vet ./core/... ./ui/... ./cmd/cloudup-cli/...
	$(GO) vet ./cmd/cloudup/...

## package: a desktop package for this OS with the fyne tool.
package: deps-build
	@echo "see README: packaging"

clean:
	rm -rf $(BUILD)

# Installs what is missing from a package list; prints what it installs.
define apt_ensure
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null; then echo "missing system packages:$$missing (no apt-get here: see README for your OS)"; exit 2; fi; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "installing system packages:$$missing"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 2; \
	fi
endef

deps-build:
	$(call apt_ensure,$(BUILD_PKGS) $(RUN_PKGS))
deps-test:
	$(call apt_ensure,$(TEST_PKGS) $(NODE_PKGS))
