#!/usr/bin/env bash
# Makes localhost/debian:bookworm and localhost/debian:bookworm-slim from the
# Debian archive this machine's apt uses, for machines that reach no
# container registry (debootstrap, about 30 s). Images that exist are kept.
# Usage: local-base-images.sh ENGINE   (docker or podman)
set -euo pipefail
engine="$1"
full=localhost/debian:bookworm
slim=localhost/debian:bookworm-slim
if "$engine" image inspect "$full" >/dev/null 2>&1 && "$engine" image inspect "$slim" >/dev/null 2>&1; then
  exit 0
fi

# The first Debian archive apt is configured with (deb822 or one-line form).
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
  awk '$1 == "URIs:" && $2 !~ /security/ { print $2; exit }')
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
  /etc/apt/sources.list 2>/dev/null || true)
mirror="${mirror:-http://deb.debian.org/debian}"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
echo "local-base-images: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
  { cat "$root.log" >&2; exit 1; }
rm -f "$root.log"
# apt inside the images uses the same sources as this machine (updates and
# security included), like the official image; no package lists are kept.
if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
  cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/"
  rm -f "$root/etc/apt/sources.list"
fi
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/*.log
tar -C "$root" -c . | "$engine" import --change "CMD [\"bash\"]" - "$full" >/dev/null

# -slim, as the official one: no documentation, manuals or translations,
# and dpkg told to leave them out of packages installed later.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
  "$root"/usr/share/locale/* "$root"/usr/share/lintian
cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
tar -C "$root" -c . | "$engine" import --change "CMD [\"bash\"]" - "$slim" >/dev/null
echo "local-base-images: made $full and $slim" >&2
