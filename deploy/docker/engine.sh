# Sourced by deploy/docker/build.sh and deploy/compose/*.sh: picks the
# container engine and its compose tool, installing podman where no Docker
# engine answers. Sets ENGINE (docker or podman) and COMPOSE (an array).
# GNLC_ENGINE=docker|podman chooses.
#
# podman on Debian 12 as root needs two settings, kept in a drop-in of its
# own: the runc runtime (crun fails on hybrid cgroup hosts: "cgroups in
# hybrid mode not supported") and no default ulimits (setting RLIMIT_NPROC
# is refused in some sandboxes).

# install_packages PKG...: installs the Debian packages not yet installed.
install_packages() {
  local missing=() p sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "engine: installing ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

engine_setup_podman() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # Recommends made explicit: netavark and aardvark-dns (networks where
  # containers find each other by name), iptables (published ports).
  install_packages podman runc netavark aardvark-dns iptables podman-compose debootstrap
  local conf=/etc/containers/containers.conf.d/50-gnlc.conf
  if [ ! -f "$conf" ]; then
    $sudo mkdir -p "$(dirname "$conf")"
    printf '# gnlc (deploy/docker/engine.sh)\n[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' |
      $sudo tee "$conf" >/dev/null
  fi
}

if [ "${GNLC_ENGINE:-}" = docker ] || { [ -z "${GNLC_ENGINE:-}" ] && docker info >/dev/null 2>&1; }; then
  ENGINE=docker
  if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
else
  engine_setup_podman
  ENGINE=podman
  COMPOSE=(podman-compose)
fi
export ENGINE
