#!/bin/sh
# Stands in for the unit tests when configure did not find the Check
# library, so that "make check" fails and says why instead of passing.
echo "unit tests need the Check library: apt-get install check, then ./configure again" >&2
exit 1
