# shellcheck shell=bash
# The container engine for the stack test, sourced by ops/stack/run.sh: install Docker, Compose v2 and debootstrap
# from Debian where they are missing, start dockerd only when no engine answers, and afterwards stop it by its PID
# and put the machine's forwarding and firewall state back exactly as it was.

DEBIAN_IMAGE="${STACK_DEBIAN_IMAGE:-outage-portal-ci/debian:bookworm}"
DOCKERD_PID=""
ENGINE_OURS=0

log() { printf 'stack: %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# The Debian mirror this machine's apt uses (deb822 .sources or one-line .list), for debootstrap and Compose.
apt_mirror() {
  if [ -n "${STACK_DEBIAN_MIRROR:-}" ]; then echo "$STACK_DEBIAN_MIRROR"; return; fi
  local file uri
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    uri="$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm([ \n]|$)/ && !/Suites:[^\n]*-security/ {
             if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { s = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", s); print s; exit } }' "$file")"
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    uri="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/ && $i ~ /:\/\//) { if ($(i+1) == "bookworm") { print $i; exit } break } }' "$file")"
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  echo "http://deb.debian.org/debian"
}

# apt's own proxy setting (Acquire::http::Proxy), if any, so debootstrap and image builds go the same way.
apt_proxy() {
  apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -n1
}

engine_install() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v nft >/dev/null || missing+=(nftables)
  command -v iptables >/dev/null || missing+=(iptables)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  compose_install
}

compose_ok() {  # Compose v2, at least 2.24 (`!reset` and `!override` in compose.ci.yml)
  local version
  version="$(docker compose version --short 2>/dev/null)" || return 1
  version="${version#v}"
  [ "$(printf '%s\n2.24.0\n' "${version%%-*}" | sort -V | head -n1)" = 2.24.0 ]
}

# Debian bookworm's docker-compose is v1 and refuses the file's top-level `name`: take Compose v2 from trixie's
# package with a private apt state (the system's sources, lists and packages stay as they are), as a CLI plugin.
compose_install() {
  compose_ok && return 0
  log "installing Compose v2 (Debian trixie's docker-compose) as a Docker CLI plugin"
  local dir mirror options
  dir="$(mktemp -d)"
  mirror="$(apt_mirror)"
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/parts" "$dir/deb"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > "$dir/sources.list"
  options=(-o "Dir::State::Lists=$dir/lists" -o "Dir::Etc::SourceList=$dir/sources.list"
           -o "Dir::Etc::SourceParts=$dir/parts" -o "Dir::Cache=$dir/cache" -o "Dir::State::status=/dev/null"
           -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
  apt-get "${options[@]}" update -qq
  (cd "$dir/deb" && apt-get "${options[@]}" download docker-compose >/dev/null)
  dpkg-deb -x "$dir"/deb/docker-compose_*.deb "$dir/root"
  install -D -m 0755 "$dir/root/usr/libexec/docker/cli-plugins/docker-compose" \
    /usr/libexec/docker/cli-plugins/docker-compose
  rm -rf "$dir"
  compose_ok || die "Compose v2 did not install"
}

# Network state --------------------------------------------------------------------------------------------------
# dockerd turns on forwarding, adds nat and filter chains (through iptables-nft, or iptables-legacy), a docker0
# bridge and the br_netfilter sysctls. Everything below is recorded before it starts and compared after restore.

NET_SYSCTLS=(net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv6.conf.default.forwarding
             net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables)

net_links() { ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort; }

net_snapshot() {  # net_snapshot DIR [BEFORE_DIR]: everything restore puts back, in a comparable form
  local value dir="$1" before="${2:-}" key keys=("${NET_SYSCTLS[@]}")
  mkdir -p "$dir"
  # A sysctl that did not exist before (br_netfilter's, once dockerd loaded it) cannot be taken away: compare the
  # ones that did.
  [ -n "$before" ] && mapfile -t keys < <(cut -d= -f1 "$before/sysctl")
  for key in "${keys[@]}"; do
    value="$(sysctl -n "$key" 2>/dev/null)" && printf '%s=%s\n' "$key" "$value"
  done > "$dir/sysctl"
  nft -s list ruleset > "$dir/nft" 2>/dev/null || : > "$dir/nft"
  local tool
  for tool in iptables-legacy-save ip6tables-legacy-save; do
    if command -v "$tool" >/dev/null; then
      "$tool" 2>/dev/null | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]//' > "$dir/$tool"
    else
      : > "$dir/$tool"
    fi
  done
  net_links > "$dir/links"
}

net_restore() {  # net_restore BEFORE_DIR
  local before="$1" line key value table tool
  while IFS= read -r line; do
    key="${line%%=*}"; value="${line#*=}"
    [ "$(sysctl -n "$key" 2>/dev/null)" = "$value" ] || sysctl -q -w "$key=$value" >/dev/null || true
  done < "$before/sysctl"
  if command -v nft >/dev/null && [ "$(nft -s list ruleset 2>/dev/null)" != "$(cat "$before/nft")" ]; then
    nft flush ruleset
    [ -s "$before/nft" ] && nft -f "$before/nft"
  fi
  for tool in iptables-legacy ip6tables-legacy; do
    command -v "$tool-save" >/dev/null || continue
    if [ "$("$tool-save" 2>/dev/null | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]//')" != "$(cat "$before/$tool-save")" ]; then
      for table in filter nat mangle raw; do
        "$tool" -t "$table" -F 2>/dev/null || true
        "$tool" -t "$table" -X 2>/dev/null || true
      done
      [ -s "$before/$tool-save" ] && "$tool-restore" < "$before/$tool-save"
    fi
  done
  # Interfaces Docker made (its bridges and veth pairs) that were not there before.
  comm -13 "$before/links" <(net_links) | grep -E '^(docker0|br-[0-9a-f]{12}|veth[0-9a-f]+)$' | while read -r link; do
    ip link delete "$link" 2>/dev/null || true
  done
}

net_check() {  # net_check BEFORE_DIR AFTER_DIR: the same state, or the difference and a failure
  local before="$1" after="$2"
  net_snapshot "$after" "$before"
  if diff -r "$before" "$after" >/dev/null; then
    log "network state restored: forwarding $(grep ip_forward "$after/sysctl" | cut -d= -f2), firewall rules and links as before"
    return 0
  fi
  log "network state differs from before the test:"
  diff -r "$before" "$after" >&2 || true
  return 1
}

# The engine -----------------------------------------------------------------------------------------------------

engine_start() {  # engine_start STATE_DIR
  local state="$1"
  if docker info >/dev/null 2>&1; then
    log "using the Docker engine already running (left running, network state untouched)"
    ENGINE_OURS=0
    return 0
  fi
  net_snapshot "$state/net-before"
  ENGINE_OURS=1
  dockerd > "$state/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  log "dockerd started (pid $DOCKERD_PID, log $state/dockerd.log)"
  local i
  for i in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -n 20 "$state/dockerd.log" >&2; die "dockerd exited"; }
    sleep 1
  done
  tail -n 20 "$state/dockerd.log" >&2
  die "dockerd did not answer within 60 s"
}

engine_stop() {  # engine_stop STATE_DIR: stop the dockerd this script started and restore the network
  local state="$1"
  [ "$ENGINE_OURS" = 1 ] || return 0
  local children="" i
  if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    children="$(pgrep -P "$DOCKERD_PID" || true)"
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    for i in $(seq 1 60); do
      kill -0 "$DOCKERD_PID" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$DOCKERD_PID" 2>/dev/null; then
      log "dockerd (pid $DOCKERD_PID) did not stop within 30 s: killing it"
      kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    fi
    wait "$DOCKERD_PID" 2>/dev/null || true
    # Its containerd, if it outlived dockerd.
    for i in $children; do
      kill -0 "$i" 2>/dev/null && kill -TERM "$i" 2>/dev/null || true
    done
    sleep 0.5
    for i in $children; do
      kill -0 "$i" 2>/dev/null && kill -KILL "$i" 2>/dev/null || true
    done
    log "dockerd stopped"
  fi
  DOCKERD_PID=""
  ENGINE_OURS=0
  net_restore "$state/net-before"
  net_check "$state/net-before" "$state/net-after"
}

# Base images ----------------------------------------------------------------------------------------------------

# Proxy variables of the host (and apt's proxy), passed to `docker build` as Docker's predefined build arguments.
proxy_build_args() {
  local name proxy
  for name in HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do
    [ -n "${!name:-}" ] && printf -- '--build-arg\n%s=%s\n' "$name" "${!name}"
  done
  proxy="$(apt_proxy)"
  if [ -n "$proxy" ] && [ -z "${http_proxy:-}" ]; then printf -- '--build-arg\nhttp_proxy=%s\n' "$proxy"; fi
  return 0
}

# Debian bookworm minbase, from the machine's mirror, imported once and reused while it exists (STACK_REBUILD_BASE=1
# makes a new one). Everything else is built on it with Docker's layer cache.
debian_base() {
  if [ -z "${STACK_REBUILD_BASE:-}" ] && docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
    log "reusing $DEBIAN_IMAGE"
    return 0
  fi
  local rootfs mirror proxy
  rootfs="$(mktemp -d)"
  mirror="$(apt_mirror)"
  proxy="$(apt_proxy)"
  log "debootstrap --variant=minbase bookworm from $mirror (about a minute)"
  if ! http_proxy="${http_proxy:-$proxy}" debootstrap --variant=minbase --include=ca-certificates \
      bookworm "$rootfs" "$mirror" > "$rootfs.log" 2>&1; then
    tail -n 20 "$rootfs.log" >&2
    rm -rf "$rootfs" "$rootfs.log"
    die "debootstrap failed"
  fi
  # As Debian's own Docker images: no services started by package scripts, no recommends, no package cache.
  printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' > "$rootfs/etc/apt/apt.conf.d/90stack"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import -c 'ENV LANG=C.UTF-8' -c 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
}

ci_image() {  # ci_image NAME:TAG DIR: one of ops/stack/images, on the Debian base (layer cache makes reruns instant)
  local tag="$1" dir="$2" args=() output
  mapfile -t args < <(proxy_build_args)
  if ! output="$(docker build --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" "${args[@]}" -t "$tag" "$dir" 2>&1)"; then
    printf '%s\n' "$output" | tail -n 30 >&2
    die "building $tag failed"
  fi
}

# The host's extra CA certificates (the ones it added to its trust store, e.g. for a TLS-intercepting proxy), for
# the image build's pip; read now, never stored in the repository or the image.
host_ca_certs() {  # host_ca_certs FILE
  local out="$1" cert
  : > "$out"
  for cert in /usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt \
              /etc/pki/ca-trust/source/anchors/*; do
    [ -f "$cert" ] && { cat "$cert"; echo; } >> "$out"
  done
  return 0
}

# pip settings of the host that make sense inside a build: index URLs over http(s) and trusted hosts, from the
# environment and pip's configuration (local paths and file:// indexes stay behind).
host_pip_conf() {  # host_pip_conf FILE PYTHON
  local out="$1" python="$2"
  "$python" - "$out" <<'PY'
import os, subprocess, sys

values = {}
try:
    listing = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
except OSError:
    listing = ""
for line in listing.splitlines():
    key, _, value = line.partition("=")
    name = key.rsplit(".", 1)[-1]
    values[name] = value.strip().strip("'\"")
for name in ("index-url", "extra-index-url", "trusted-host", "proxy"):
    env = os.environ.get("PIP_" + name.upper().replace("-", "_"))
    if env:
        values[name] = env
lines = []
for name in ("index-url", "extra-index-url", "proxy"):
    urls = [u for u in values.get(name, "").split() if u.startswith(("http://", "https://"))]
    if urls:
        lines.append(f"{name} = {' '.join(urls)}")
if values.get("trusted-host"):
    lines.append(f"trusted-host = {values['trusted-host']}")
with open(sys.argv[1], "w") as out:
    out.write("[global]\n" + "\n".join(lines) + "\n" if lines else "")
PY
}
