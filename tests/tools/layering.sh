#!/bin/sh
# The layering of lib/ (tests/tools/layering.py), over this build's objects.
lib_build=$(dirname "$(dirname "$CLAT_LIB")")
exec python3 "$TESTS_SRCDIR/tools/layering.py" "$TESTS_SRCDIR/../lib" "$lib_build"
