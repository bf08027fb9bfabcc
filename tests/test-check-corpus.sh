#!/bin/sh
# nbdscrub check against the corruption corpus (tests/corpus/): one case
# per kind of damage, over the feature matrix (ext4 4k and 1k, without
# metadata_csum, without 64bit and with 128-byte inodes, ext3, ext2),
# each made by a recipe on a copy of a clean base image built from a
# generated tree.  Every case must report at least one of its expected
# problem codes, and nbdscrub's verdict must equal e2fsck -fn's on the
# same image (after journal replay on a copy where the journal needs
# recovery) on at least 95% of the cases; the clean base images are
# controls with no CORRUPT or XCORRUPT finding at all.  Run under the
# ASan+UBSan build when there is one: any sanitizer report fails.
#
#   CORPUS_ONLY=id,id  CORPUS_PROFILES=ext2,ext3  CORPUS_VERBOSE=1
#   narrow and explain a run.
. "$(dirname "$0")/functions.sh"

requires debugfs -V
requires e2fsck -V
requires python3 --version

# NBDSCRUB=PATH checks another build (the sanitizer build is the default
# when there is one).
nbdscrub=${NBDSCRUB:-$top/scrub/nbdscrub}
[ -n "${NBDSCRUB:-}" ] || [ ! -x "$top/build/san/nbdscrub" ] ||
    nbdscrub=$top/build/san/nbdscrub
[ -x "$nbdscrub" ] || fail "$nbdscrub is not built: run make"
"$nbdscrub" check --help >/dev/null 2>&1 ||
    [ $? -eq 16 ] || skip "this nbdscrub has no check command"
echo "nbdscrub: $nbdscrub"

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS UBSAN_OPTIONS

verbose=
[ -z "${CORPUS_VERBOSE:-}" ] || verbose=-v
python3 "$srcdir/corpus/run.py" --nbdscrub "$nbdscrub" --work "$tmp" \
    --only "${CORPUS_ONLY:-}" --profiles "${CORPUS_PROFILES:-}" $verbose ||
    fail "the corpus did not pass (see the lines above)"
