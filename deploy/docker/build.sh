#!/usr/bin/env bash
# Builds gnlc's images from deploy/docker/Dockerfile, compiling once:
#   gnlc/catalog gnlc/enrollment gnlc/partnership gnlc/analytics  the services
#   gnlc/gnlcctl                                                  gnlcctl + demo loader
#   gnlc/redis                                                    Debian's Redis 7.0
# all tagged with the project's version (CMakeLists.txt), the tag the
# Kubernetes overlays and deploy/compose use. Prints each image's size.
#
# With Docker, or podman (installed and set up by engine.sh where no Docker
# engine answers). Where the base image cannot be pulled (no registry), it
# is made from the Debian archive first (local-base-images.sh).
#
# Environment: GNLC_REGISTRY=registry.nanjing.example names the images
# registry.nanjing.example/gnlc/...; GNLC_IMAGE_TAG overrides the tag;
# GNLC_BASE_IMAGE and GNLC_RUNTIME_IMAGE override the Debian 12 bases.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=engine.sh
source "$root/deploy/docker/engine.sh"

# shellcheck source=images.sh
source "$root/deploy/docker/images.sh"
base="${GNLC_BASE_IMAGE:-debian:bookworm}"
runtime="${GNLC_RUNTIME_IMAGE:-debian:bookworm-slim}"

present_or_pulled() {
  "$ENGINE" image inspect "$1" >/dev/null 2>&1 || timeout 120 "$ENGINE" pull -q "$1" >/dev/null 2>&1
}
if ! present_or_pulled "$base" || ! present_or_pulled "$runtime"; then
  echo "build: $base or $runtime cannot be pulled; using local Debian images" >&2
  "$root/deploy/docker/local-base-images.sh" "$ENGINE"
  base=localhost/debian:bookworm
  runtime=localhost/debian:bookworm-slim
fi

args=(-f "$root/deploy/docker/Dockerfile" --build-arg "BASE_IMAGE=$base"
  --build-arg "RUNTIME_IMAGE=$runtime")
# podman: Docker's image format (OCI has no HEALTHCHECK), layers cached;
# the host network reaches the same Debian archive as apt here.
[ "$ENGINE" = podman ] && args+=(--format docker --layers --network host)
# Docker: BuildKit, for the ccache cache mount (the default since Docker 23).
export DOCKER_BUILDKIT=1
for target in "${gnlc_images[@]}"; do
  echo "build: $(image "$target")" >&2
  "$ENGINE" build "${args[@]}" --target "$target" -t "$(image "$target")" "$root" >&2
done
for target in "${gnlc_images[@]}"; do
  "$ENGINE" image inspect --format '{{.Size}}' "$(image "$target")" |
    awk -v i="$(image "$target")" '{ printf "%-40s %6.1f MB\n", i, $1 / 1e6 }'
done
