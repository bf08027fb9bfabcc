#!/bin/sh
# The whole scrub engine, a full pass over each input, survives a short
# libFuzzer run under ASan and UBSan on seeds made from mke2fs images: no
# crash, no hang, no runaway allocation.  (make fuzz runs it for longer.)
. "$(dirname "$0")/functions.sh"

requires clang --version
bin=$top/build/fuzz/fuzz-scrub
[ -x "$bin" ] || skip "the fuzz target is not built (needs clang with libFuzzer)"
FUZZ_SECONDS=${FUZZ_CHECK_SECONDS:-20} "$top/tests/fuzz/run-fuzz.sh" "$bin" \
    >"$tmp/fuzz.log" 2>&1 || {
    tail -40 "$tmp/fuzz.log" >&2
    fail "the fuzzer found a problem"
}
grep -E 'stat::number_of_executed_units' "$tmp/fuzz.log"
