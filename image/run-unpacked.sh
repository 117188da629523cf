#!/bin/sh
# Runs a command inside an unpacked image root as a container runtime would, without one: its own mount and
# PID namespaces, /dev and /proc mounted, the root filesystem read-only (as the Deployment's
# readOnlyRootFilesystem), DATA mounted writable at /data, the command run as USER (uid:gid).
#
#   image/run-unpacked.sh ROOTFS DATA USER COMMAND [ARG...]     (as root; util-linux unshare and chroot)
#
# ContainerImageIT runs the image's entrypoint with it; killing this script's process kills the command.
set -eu
[ $# -ge 4 ] || { echo "usage: $0 ROOTFS DATA USER COMMAND [ARG...]" >&2; exit 2; }
exec unshare --mount --pid --fork --kill-child sh -c '
  set -eu
  rootfs=$1 data=$2 user=$3
  shift 3
  mount --make-rprivate /
  mount --bind "$rootfs" "$rootfs"
  mount --rbind /dev "$rootfs/dev"
  mount -t proc proc "$rootfs/proc"
  mount --bind "$data" "$rootfs/data"
  mount -o remount,bind,ro "$rootfs"
  exec chroot --userspec="$user" "$rootfs" "$@"
' run-unpacked "$@"
