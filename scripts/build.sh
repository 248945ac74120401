#!/bin/sh
# Configure (once) and build in the source tree.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || ./bootstrap.sh
[ -f Makefile ] || ./configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var
make -j"$(nproc)"
