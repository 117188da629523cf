#!/usr/bin/env bash
# Makes the server image's base without a Docker daemon or a registry: Debian bookworm (debootstrap, minbase)
# with OpenJDK 17's headless JRE, CA certificates and the IPA Gothic font (PoC report PDFs), a non-root user
# kagami (uid/gid 10001) and an empty /data; packed as one OCI layer by umoci and written by skopeo as a
# docker-archive tarball, which jib-maven-plugin takes as its base (tar://).
#
#   image/make-base.sh OUT.tar        (as root; needs debootstrap, umoci, skopeo and Debian's mirror)
#
# KAGAMI_DEBIAN_MIRROR overrides the mirror (default http://deb.debian.org/debian).
set -euo pipefail
out="${1:?usage: image/make-base.sh OUT.tar}"
mirror="${KAGAMI_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
tag="kagami/jre-base:17-bookworm"
for tool in debootstrap umoci skopeo; do
  command -v "$tool" >/dev/null || { echo "make-base: $tool is missing (apt-get install debootstrap umoci skopeo)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "make-base: debootstrap needs root" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
echo "make-base: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates,fonts-ipafont-gothic \
  bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }

chroot "$rootfs" groupadd --gid 10001 kagami
chroot "$rootfs" useradd --uid 10001 --gid 10001 --no-create-home --home-dir /data --shell /usr/sbin/nologin kagami
install -d -o 10001 -g 10001 -m 0750 "$rootfs/data"
# What a server image does not need: package lists and caches, docs, manuals, locales, logs; device nodes
# (the container runtime provides /dev).
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
  "$rootfs"/var/log/* "$rootfs"/dev/* "$rootfs"/tmp/* "$rootfs"/root/.[!.]* 2>/dev/null || true
jre_version="$(chroot "$rootfs" dpkg-query -W -f '${Version}' openjdk-17-jre-headless)"

umoci init --layout "$work/oci"
umoci new --image "$work/oci:base"
umoci insert --image "$work/oci:base" --history.comment "debootstrap bookworm minbase + openjdk-17-jre-headless $jre_version" \
  "$rootfs" /
umoci config --image "$work/oci:base" --config.user 10001:10001 --config.workingdir /data \
  --config.env JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.env LANG=C.UTF-8 \
  --config.label org.opencontainers.image.title=kagami-jre-base \
  --config.label org.opencontainers.image.base.name=debian:bookworm \
  --config.label dev.kagami.jre="openjdk-17-jre-headless $jre_version" \
  --author "kagami image/make-base.sh"
rm -f "$out"
skopeo copy --quiet "oci:$work/oci:base" "docker-archive:$out:$tag"
echo "make-base: wrote $out ($tag, $(du -h "$out" | cut -f1), JRE $jre_version)" >&2
