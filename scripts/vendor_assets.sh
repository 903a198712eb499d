#!/usr/bin/env bash
# Vendor the front-end libraries the app serves itself into static/vendor/:
#
#   swagger-ui/  the API docs UI (swagger-ui-dist), for /api/v1/docs
#   zxing-wasm/  the QR reader (zxing-cpp compiled to WebAssembly), for scanning a posted
#                code with the phone's camera where the browser has no BarcodeDetector
#
# The app must never load code from a CDN, so the pages serve these files themselves.
# Run this only to upgrade: it downloads the exact versions below with `npm pack` into a
# temporary directory (npm checks each tarball against the registry's integrity hash),
# copies the few files the pages need plus the licence, writes VERSION and prints what
# it did. The result is committed, so a fresh clone needs neither npm nor network access.
#
#   scripts/vendor_assets.sh            # (re)vendor both at the versions below
set -euo pipefail

SWAGGER_UI_VERSION="5.35.0"
ZXING_WASM_VERSION="3.1.8"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# vendor PACKAGE VERSION DIRECTORY SOURCE[:NAME]...
# Unpacks PACKAGE@VERSION and copies each SOURCE (a path inside the package) to
# static/vendor/DIRECTORY/NAME (NAME defaults to the source's file name).
vendor() {
  local package="$1" version="$2" target="$ROOT/static/vendor/$3"
  shift 3
  local unpacked="$work/$package"
  mkdir -p "$unpacked"
  echo "npm pack $package@$version -> $unpacked"
  (cd "$unpacked" && npm pack --silent "$package@$version" >/dev/null)
  tar -xzf "$unpacked/$package-$version.tgz" -C "$unpacked"
  rm -rf "$target"
  mkdir -p "$target"
  local item source name
  for item in "$@"; do
    source="${item%%:*}"
    name="${item#*:}"
    [[ "$item" == *:* ]] || name="$(basename "$source")"
    cp "$unpacked/package/$source" "$target/$name"
    echo "copied $source as $name ($(wc -c <"$target/$name") bytes, sha256 $(sha256sum "$target/$name" | cut -c1-16)…)"
  done
  printf '%s %s\n' "$package" "$version" >"$target/VERSION"
  echo "wrote $target/VERSION: $package $version"
}

vendor swagger-ui-dist "$SWAGGER_UI_VERSION" swagger-ui \
  swagger-ui-bundle.js swagger-ui.css LICENSE
# Source maps point at files we do not ship; drop the reference so browsers do not ask.
sed -i '/^\/\/# sourceMappingURL=/d' "$ROOT/static/vendor/swagger-ui/swagger-ui-bundle.js"
sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##' "$ROOT/static/vendor/swagger-ui/swagger-ui.css"

# The "reader" build only (no barcode writer): the IIFE script defines window.ZXingWASM,
# and static/js/scan.js points its locateFile at the .wasm beside it, replacing the
# package's default jsDelivr address (which the CSP would refuse anyway).
vendor zxing-wasm "$ZXING_WASM_VERSION" zxing-wasm \
  dist/iife/reader/index.js:zxing-reader.js dist/reader/zxing_reader.wasm LICENSE
# The script knows the hash of the .wasm it was built with: refuse a mismatched pair.
zxing="$ROOT/static/vendor/zxing-wasm"
expected="$(grep -o 'ZXING_WASM_SHA256=`[0-9a-f]*`' "$zxing/zxing-reader.js" | tr -dc '0-9a-f' | tail -c 64)"
actual="$(sha256sum "$zxing/zxing_reader.wasm" | cut -d' ' -f1)"
if [[ "$expected" != "$actual" ]]; then
  echo "zxing_reader.wasm sha256 $actual is not the $expected its script expects" >&2
  exit 1
fi
echo "checked zxing_reader.wasm against the sha256 in zxing-reader.js"
# LICENSE is zxing-wasm's (MIT); the .wasm is zxing-cpp compiled, which is Apache-2.0.
# The script's one 40-digit hex string is its ZXING_CPP_COMMIT.
commit="$(grep -o '`[0-9a-f]\{40\}`' "$zxing/zxing-reader.js" | head -n 1 | tr -d '`')"
[[ -n "$commit" ]] || { echo "no zxing-cpp commit found in zxing-reader.js" >&2; exit 1; }
cat >"$zxing/NOTICE" <<NOTICE
zxing_reader.wasm is ZXing-C++ (https://github.com/zxing-cpp/zxing-cpp, commit $commit),
licensed under the Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0),
compiled to WebAssembly by zxing-wasm $ZXING_WASM_VERSION (MIT, see LICENSE).
NOTICE
echo "wrote $zxing/NOTICE (zxing-cpp commit $commit)"
