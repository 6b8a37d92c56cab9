#!/bin/sh
# Fetch Fashion-MNIST (60,000 + 10,000 images, IDX gzip) into datasets/fashion-mnist/ and
# verify it. One command, from anywhere:
#
#   sh scripts/fetch-fashion-mnist.sh              # Debian's package if possible, else download
#   sh scripts/fetch-fashion-mnist.sh --download   # always the canonical URLs (needs internet)
#   sh scripts/fetch-fashion-mnist.sh --dest DIR   # another target directory
#
# Sources, in order: an existing /usr/share/datasets/fashion-mnist/ (Debian/Ubuntu package
# dataset-fashion-mnist), `apt-get install -y dataset-fashion-mnist` (as root or via sudo),
# then http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/ with curl or wget.
#
# Verification: every file must decompress to the expected number of bytes with the expected
# SHA-256 (measured on Debian's files, whose gzip streams are upstream's minus the file name in
# the gzip header, so the content is the same); downloads must also match the MD5 that
# upstream publishes for its .gz files. A file that fails is deleted.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="$ROOT/datasets/fashion-mnist"
DEBIAN_DIR=/usr/share/datasets/fashion-mnist
BASE_URL=http://fashion-mnist.s3-website.eu-central-1.amazonaws.com
FILES="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
MODE=auto

while [ $# -gt 0 ]; do
  case "$1" in
    --download) MODE=download ;;
    --dest) DEST=${2:?--dest needs a directory}; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "fetch-fashion-mnist: unknown argument $1 (expected --download or --dest DIR)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "fetch-fashion-mnist: $*" >&2; }
die() { say "error: $*"; exit 1; }

# Uncompressed size and SHA-256 of each file's content.
expected() {
  case "$1" in
    train-images-idx3-ubyte) echo "47040016 c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888" ;;
    train-labels-idx1-ubyte) echo "60008 bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9" ;;
    t10k-images-idx3-ubyte) echo "7840016 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b" ;;
    t10k-labels-idx1-ubyte) echo "10008 0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34" ;;
  esac
}

# MD5 of upstream's .gz files (github.com/zalandoresearch/fashion-mnist README).
upstream_md5() {
  case "$1" in
    train-images-idx3-ubyte) echo 8d4fb7e6c68d591d4c3dfef9ec88bf0d ;;
    train-labels-idx1-ubyte) echo 25c81989df183df01b3e8a0aad5dffbe ;;
    t10k-images-idx3-ubyte) echo bef4ecab320f06d8554ea6380940ec79 ;;
    t10k-labels-idx1-ubyte) echo bb300cfdad3c16e7a12a480ee83cd310 ;;
  esac
}

sha256() { if command -v sha256sum >/dev/null; then sha256sum | cut -d' ' -f1; else shasum -a 256 | cut -d' ' -f1; fi; }
md5() { if command -v md5sum >/dev/null; then md5sum "$1" | cut -d' ' -f1; else md5 -q "$1"; fi; }

# verify NAME FILE: content size and SHA-256; prints nothing, returns non-zero on mismatch.
verify() {
  set -- "$1" "$2" $(expected "$1")
  size=$(gzip -dc "$2" 2>/dev/null | wc -c | tr -d ' ') || return 1
  [ "$size" = "$3" ] || { say "$2: decompresses to $size bytes, expected $3"; return 1; }
  sum=$(gzip -dc "$2" | sha256)
  [ "$sum" = "$4" ] || { say "$2: content SHA-256 $sum, expected $4"; return 1; }
}

all_verified() {
  for name in $FILES; do
    [ -f "$1/$name.gz" ] && verify "$name" "$1/$name.gz" 2>/dev/null || return 1
  done
}

complete() {
  for name in $FILES; do [ -f "$1/$name.gz" ] || return 1; done
}

mkdir -p "$DEST"
if all_verified "$DEST"; then
  say "already present and verified in $DEST"
  exit 0
fi

copy_from_debian() {
  for name in $FILES; do cp "$DEBIAN_DIR/$name.gz" "$DEST/$name.gz.part" && mv "$DEST/$name.gz.part" "$DEST/$name.gz"; done
  say "copied from $DEBIAN_DIR (Debian package dataset-fashion-mnist)"
}

apt_install() {
  command -v apt-get >/dev/null || return 1
  if [ "$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else return 1; fi
  say "installing the Debian package: ${SUDO:+$SUDO }apt-get install -y dataset-fashion-mnist"
  $SUDO apt-get install -y dataset-fashion-mnist >&2 || { $SUDO apt-get update >&2 && $SUDO apt-get install -y dataset-fashion-mnist >&2; }
}

download() {
  if command -v curl >/dev/null; then get() { curl -fSL --retry 3 -o "$2" "$1"; }
  elif command -v wget >/dev/null; then get() { wget -O "$2" "$1"; }
  else die "neither curl nor wget is installed; install one of them, or the Debian package dataset-fashion-mnist"; fi
  for name in $FILES; do
    say "downloading $BASE_URL/$name.gz"
    get "$BASE_URL/$name.gz" "$DEST/$name.gz.part" || { rm -f "$DEST/$name.gz.part"; die "download of $name.gz failed; check the internet connection, or install the Debian package dataset-fashion-mnist"; }
    sum=$(md5 "$DEST/$name.gz.part")
    [ "$sum" = "$(upstream_md5 "$name")" ] || { rm -f "$DEST/$name.gz.part"; die "$name.gz: MD5 $sum does not match upstream's $(upstream_md5 "$name")"; }
    mv "$DEST/$name.gz.part" "$DEST/$name.gz"
  done
}

if [ "$MODE" = download ]; then
  download
elif complete "$DEBIAN_DIR"; then
  copy_from_debian
elif apt_install && complete "$DEBIAN_DIR"; then
  copy_from_debian
else
  say "the Debian package is not available here; downloading the canonical files"
  download
fi

failed=0
for name in $FILES; do
  if verify "$name" "$DEST/$name.gz"; then
    say "ok $name.gz ($(wc -c < "$DEST/$name.gz" | tr -d ' ') bytes)"
  else
    rm -f "$DEST/$name.gz"
    failed=1
  fi
done
[ "$failed" = 0 ] || die "verification failed; the bad files were deleted, run this script again"
say "Fashion-MNIST is ready in $DEST"
