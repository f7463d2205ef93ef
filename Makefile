# Cloudup. On a fresh Debian/Ubuntu machine `make run` and `make test` are all
# you need: each installs the system packages it is missing first (apt-get,
# through sudo when not root) and prints what it installs.

GO        ?= go
BUILD     := $(CURDIR)/.build
ARTIFACTS := $(BUILD)/test-output
# The fyne packaging tool, run at a pinned version (no global install).
FYNE      ?= $(GO) run fyne.io/tools/cmd/fyne@v1.7.4

# System packages: building the window (cgo, GL, X11, Wayland) and running the
# tests (virtual display, session bus, a real Secret Service, ffmpeg for the
# camera and video posters, ImageMagick's `import` for screenshots, xdg-open,
# PostgreSQL for the team signing service's several-instances tests).
BUILD_PKGS := gcc libc6-dev pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev
RUN_PKGS   := libgl1-mesa-dri xclip wl-clipboard
TEST_PKGS  := xvfb xauth dbus gnome-keyring libsecret-tools ffmpeg imagemagick xdotool xdg-utils xclip postgresql
# Node.js runs the sandbox's Node SDK check; Debian's nodejs is installed only
# when no node is on PATH, so a node from nvm or NodeSource is never replaced.
NODE_PKGS  := $(if $(shell command -v node 2>/dev/null),,nodejs npm)

.PHONY: race run test bench package lint cli gui sandbox deps-build deps-test clean

## run: build the desktop app and open its window. Files to queue at start:
##      make run ARGS="photo.jpg clips/"
run: deps-build gui
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
	  echo "make run: no display (neither DISPLAY nor WAYLAND_DISPLAY is set); run it from a desktop session, or try: xvfb-run make run"; exit 2; fi
	$(BUILD)/cloudup $(ARGS)

## gui / cli: build the binaries into .build/
gui: deps-build
	$(GO) build -o $(BUILD)/cloudup ./cmd/cloudup
cli:
	CGO_ENABLED=0 $(GO) build -o $(BUILD)/cloudup-cli ./cmd/cloudup-cli

## sandbox: a standalone local Cloudinary-compatible server (Ctrl-C stops it).
sandbox: cli
	$(BUILD)/cloudup-cli sandbox

## test: every test, headless, against a real keychain inside a private D-Bus
## session (.ci/test-session: scratch HOME and XDG dirs, a throwaway unlocked
## gnome-keyring, CLOUDUP_REQUIRE_KEYCHAIN=1), then a check that no process
## the tests started is still running. Pure-Go packages first (CGO_ENABLED=0,
## as the CLI ships), then the cgo ones: the window's end-to-end test under
## Xvfb and the native camera.
test: deps-build deps-test
	@mkdir -p $(ARTIFACTS)
	GO="$(GO)" .ci/test-session sh -c '\
	  CGO_ENABLED=0 $(GO) test -count=1 -timeout 40m -artifacts -outputdir $(ARTIFACTS) ./core/... ./ui/... ./cmd/cloudup-cli/... && \
	  $(GO) test -count=1 -timeout 20m -artifacts -outputdir $(ARTIFACTS) ./cmd/cloudup/... && \
	  $(GO) test -count=1 ./core/camera/...'
	@echo "test artifacts (screenshots, logs): $(ARTIFACTS)"

## bench: upload benchmarks against the sandbox with a simulated WAN (the
## engine's own concurrency against the Node and Go SDKs, under a 420 limit,
## a team profile against a local secret), the sandbox's peak memory under an
## image bomb and an unauthenticated flood, and the window's peak memory with
## 3,000 and 30,000 queued files.
# The engine and the attacked sandbox run as the cloudup-cli built by `cli`,
# so their peak RSS is their own.
bench: cli
	CLOUDUP_BENCH_CLI=$(BUILD)/cloudup-cli CGO_ENABLED=0 $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./core/transfer/... ./core/watch/... ./core/session/ ./core/manage/... ./ui/...
	CLOUDUP_BENCH_CLI=$(BUILD)/cloudup-cli CGO_ENABLED=0 $(GO) test -run '^$$' -bench HostileInput -benchtime 1x -timeout 10m ./core/sandbox/
	@# The real window's peak RSS with 3,000 and 30,000 files (cgo, Xvfb).
	$(MAKE) --no-print-directory deps-build deps-test
	$(GO) test -run '^$$' -bench AppMemory -benchtime 1x -timeout 60m ./cmd/cloudup/

## race: the core and ui tests again under the race detector (cgo; slower,
## about 5 minutes). Run it after touching goroutines or fyne.Do paths.
race: deps-build deps-test
	.ci/test-session $(GO) test -race -count=1 -timeout 40m ./core/... ./ui/...

## lint: formatting and vet.
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	CGO_ENABLED=0 $(GO) vet ./core/... ./ui/... ./cmd/cloudup-cli/...
	$(GO) vet ./cmd/cloudup/...

## package: a desktop package for this OS with the fyne tool (FyneApp.toml
## gives the name, ID io.cloudup.app, version and icon). On macOS, add the
## camera usage description and sign afterwards: see README, "Packaging".
package: deps-build
	mkdir -p $(BUILD)/package
	@# The fyne tool reads FyneApp.toml from the source dir (and bumps its
	@# Build there) and builds the binary into it: give it a copy, clean up.
	sed 's#^\( *Icon *= *\).*#\1"$(CURDIR)/assets/icon.png"#' FyneApp.toml > cmd/cloudup/FyneApp.toml
	cd $(BUILD)/package && $(FYNE) package --release --src $(CURDIR)/cmd/cloudup; \
	  status=$$?; rm -f $(CURDIR)/cmd/cloudup/FyneApp.toml $(CURDIR)/cmd/cloudup/cloudup $(CURDIR)/cmd/cloudup/cloudup.exe; exit $$status
	@# macOS: fyne package cannot add the camera usage text, and without it
	@# (and the camera entitlement in the signature) macOS denies the camera.
	@# CODESIGN_IDENTITY signs for distribution; the default is ad hoc.
	@if [ "$$(uname)" = Darwin ]; then \
	  plutil -replace NSCameraUsageDescription -string "$(CAMERA_USAGE)" $(BUILD)/package/Cloudup.app/Contents/Info.plist && \
	  codesign --force --deep --options runtime --entitlements assets/macos/camera.entitlements \
	    --sign "$${CODESIGN_IDENTITY:--}" $(BUILD)/package/Cloudup.app || exit 2; fi
	@echo "package in $(BUILD)/package:" && ls $(BUILD)/package

CAMERA_USAGE := Cloudup uses the camera to take photos you upload.

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
