#!/bin/sh
# Builds a one-layer busybox image as a docker-archive tarball
# (manifest.json, the config JSON, the layer tar), which both `docker load`
# and `ctr image import` accept. No network: the layer is Debian's
# busybox-static (/bin/busybox) with a few applet links.
#
#   busybox-image.sh OUT.tar [REPO:TAG] [BUSYBOX]
#
# The output depends only on the busybox binary (fixed owners, modes and
# times), so its digests are stable.
set -eu
umask 022
out=$1
tag=${2:-memlog-busybox:test}
bb=${3:-/bin/busybox}
[ -x "$bb" ] || { echo "busybox-image: $bb is not there (Debian: busybox-static)" >&2; exit 2; }
"$bb" true || { echo "busybox-image: $bb does not run" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memlog-bbimg-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/root"
cp "$bb" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
for a in sh cat echo sleep seq yes head ls true false kill ps env id; do
	ln -s busybox "$root/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
chmod 1777 "$root/tmp"
tar_opts="--format=gnu --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0"
mkdir "$tmp/img"
# shellcheck disable=SC2086
(cd "$root" && tar $tar_opts -cf "$tmp/layer.tar" .)
layer_sum=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
mkdir "$tmp/img/$layer_sum"
mv "$tmp/layer.tar" "$tmp/img/$layer_sum/layer.tar"
printf '1.0' >"$tmp/img/$layer_sum/VERSION"
cat >"$tmp/config.json" <<EOF
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/bin"],"Cmd":["sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:$layer_sum"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"memlog tests/tools/busybox-image.sh"}]}
EOF
arch=$(uname -m)
case $arch in
x86_64) ;;
aarch64) sed -i 's/"amd64"/"arm64"/' "$tmp/config.json" ;;
*) sed -i "s/\"amd64\"/\"$arch\"/" "$tmp/config.json" ;;
esac
cfg_sum=$(sha256sum "$tmp/config.json" | cut -d' ' -f1)
mv "$tmp/config.json" "$tmp/img/$cfg_sum.json"
repo=${tag%:*}
ver=${tag##*:}
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]\n' \
	"$cfg_sum" "$tag" "$layer_sum" >"$tmp/img/manifest.json"
printf '{"%s":{"%s":"%s"}}\n' "$repo" "$ver" "$layer_sum" >"$tmp/img/repositories"
# shellcheck disable=SC2086
(cd "$tmp/img" && tar $tar_opts -cf "$tmp/image.tar" manifest.json repositories "$cfg_sum.json" "$layer_sum")
mv "$tmp/image.tar" "$out"
