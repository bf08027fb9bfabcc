#!/bin/sh
# nbdscrub: run every test and print one summary.
#
#   tests/run-tests.sh [UNIT-TEST-BINARY...]
#
# Unit tests are CUnit programs: each prints CUnit's own run summary, and
# their "tests" row is counted test by test.  Integration tests are
# tests/test-*.sh: each counts as one test; exit 77 is a skip (the test
# printed why).  The last line is "N passed, N failed, N skipped".
# TESTS="test-a.sh test-b.sh" runs only those integration tests.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
log=${TEST_LOG_DIR:-$top/build/test-logs}
mkdir -p "$log"
passed=0 failed=0 skipped=0 failures=

for bin in "$@"; do
    # build/tsan/test-x and build/tests/test-x: two logs, two names.
    name=$(basename "$bin")
    case $bin in */tsan/*) name="$name.tsan" ;; esac
    echo "=== $name"
    "$bin" >"$log/$name.log" 2>&1
    rc=$?
    cat "$log/$name.log"
    # CUnit's summary row: "tests  Total  Ran  Passed  Failed  Inactive"
    row=$(awk '$1 == "tests" && NF >= 6 { print $4, $5 }' "$log/$name.log")
    if [ -z "$row" ]; then
        failed=$((failed + 1))
        failures="$failures $name(crashed:$rc)"
        continue
    fi
    p=${row% *} f=${row#* }
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -ne 0 ] || [ $rc -ne 0 ]; then
        [ "$f" -ne 0 ] || failed=$((failed + 1))
        failures="$failures $name"
    fi
done

tests=${TESTS:-$(cd "$top/tests" && ls test-*.sh 2>/dev/null)}
for t in $tests; do
    start=$(date +%s)
    "$top/tests/$t" >"$log/$t.log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    case $rc in
    0)  passed=$((passed + 1)); echo "PASS: $t (${secs}s)" ;;
    77) skipped=$((skipped + 1))
        echo "SKIP: $t: $(grep -m1 'SKIP' "$log/$t.log" | sed 's/.*SKIP: //')" ;;
    *)  failed=$((failed + 1)); failures="$failures $t"
        echo "FAIL: $t (exit $rc, ${secs}s); its log:"
        sed 's/^/    /' "$log/$t.log" | tail -40 ;;
    esac
done

[ -z "$failures" ] || echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
