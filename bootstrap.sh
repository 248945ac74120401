#!/bin/sh
# Generate ./configure from configure.ac and Makefile.am (a git checkout
# has neither; release tarballs have both).
set -e
cd "$(dirname "$0")"
mkdir -p m4
exec autoreconf --force --install
