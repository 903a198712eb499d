#!/usr/bin/env bash
# Vendor the API docs UI (swagger-ui-dist) into static/vendor/swagger-ui/.
#
# The app must never load scripts from a CDN, so the docs page at /api/v1/docs serves
# these files itself. Run this only to upgrade: it downloads the exact version below
# with `npm pack` into a temporary directory, copies the few files the page needs plus
# the licence, and prints what it did. The result is committed, so a fresh clone needs
# neither npm nor network access.
#
#   scripts/vendor_assets.sh            # (re)vendor SWAGGER_UI_VERSION
set -euo pipefail

PACKAGE="swagger-ui-dist"
SWAGGER_UI_VERSION="5.35.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$ROOT/static/vendor/swagger-ui"
FILES=(swagger-ui-bundle.js swagger-ui.css LICENSE)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "npm pack $PACKAGE@$SWAGGER_UI_VERSION -> $work"
(cd "$work" && npm pack --silent "$PACKAGE@$SWAGGER_UI_VERSION" >/dev/null)
tar -xzf "$work/$PACKAGE-$SWAGGER_UI_VERSION.tgz" -C "$work"

rm -rf "$TARGET"
mkdir -p "$TARGET"
for file in "${FILES[@]}"; do
  cp "$work/package/$file" "$TARGET/$file"
  echo "copied $file ($(wc -c <"$TARGET/$file") bytes, sha256 $(sha256sum "$TARGET/$file" | cut -c1-16)…)"
done
# Source maps point at files we do not ship; drop the reference so browsers do not ask.
sed -i '/^\/\/# sourceMappingURL=/d' "$TARGET/swagger-ui-bundle.js"
sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##' "$TARGET/swagger-ui.css"
printf '%s %s\n' "$PACKAGE" "$SWAGGER_UI_VERSION" >"$TARGET/VERSION"
echo "wrote $TARGET/VERSION: $PACKAGE $SWAGGER_UI_VERSION"
