# Sourced by deploy/docker/build.sh, deploy/compose/common.sh and
# tests/deploy/manifests_test.sh (which sets $root first): gnlc's images and
# their names, in one place.
#   gnlc_images   the Dockerfile's targets, one image each
#   gnlc_version  the project's version (CMakeLists.txt), the images' tag
#   image NAME    PREFIX/NAME:TAG
# PREFIX is GNLC_IMAGE_PREFIX, else GNLC_REGISTRY/gnlc, else gnlc; TAG is
# GNLC_IMAGE_TAG, else the version. Both are exported for compose.yaml.
gnlc_images=(catalog enrollment partnership analytics gnlcctl redis)
gnlc_version=$(sed -n 's/^project(gnlc VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
export GNLC_IMAGE_PREFIX="${GNLC_IMAGE_PREFIX:-${GNLC_REGISTRY:+$GNLC_REGISTRY/}gnlc}"
export GNLC_IMAGE_TAG="${GNLC_IMAGE_TAG:-$gnlc_version}"
image() { echo "$GNLC_IMAGE_PREFIX/$1:$GNLC_IMAGE_TAG"; }
