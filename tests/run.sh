#!/usr/bin/env bash
# Runs the unit tests (cmocka), the fuzz replays and the integration scripts; ends with "N passed, N failed".
# Usage: tests/run.sh BUILD_DIR [unit|integration [SCRIPT...]]   (BUILD_DIR holds asan/tests/* and acme-dnsd)
set -u
build=${1:-build}
only=${2:-all}
shift $(($# < 2 ? $# : 2))
scripts=" $* "          # integration scripts to run (names without .sh); none = all
limit=600               # seconds per integration script; valgrind runs are far slower
[ -n "${ADNS_VALGRIND:-}" ] && limit=3600
here=$(cd "$(dirname "$0")" && pwd)
export ADNS_BUILD=$(cd "$build" && pwd)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
failures=()
log=$(mktemp -d "${TMPDIR:-/tmp}/adns-tests.XXXXXX")

count_cmocka() {   # $1 = output file, $2 = name
	local p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	[ "${f:-0}" -gt 0 ] && failures+=("$2")
}

if [ "$only" = all ] || [ "$only" = unit ]; then
	for t in "$ADNS_BUILD"/asan/tests/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		echo "== unit: $name"
		if "$t" >"$log/$name.out" 2>&1; then rc=0; else rc=$?; fi
		cat "$log/$name.out"
		count_cmocka "$log/$name.out" "$name"
		# A failed group set-up prints "[  FAILED  ] GROUP SETUP" but no count of failed tests: count it too.
		if [ $rc -ne 0 ] && ! grep -q '^\[  FAILED  \] [0-9]* test' "$log/$name.out"; then
			failed=$((failed + 1)); failures+=("$name (exit $rc)")
		fi
	done
	for t in "$ADNS_BUILD"/asan/tests/fuzz_*-replay; do
		[ -x "$t" ] || continue
		name=$(basename "$t" -replay)
		dir="$here/fuzz/corpus/${name#fuzz_}"
		echo "== fuzz replay: $name ($dir)"
		if "$t" "$dir" >"$log/$name.out" 2>&1; then
			passed=$((passed + 1)); tail -1 "$log/$name.out"
		else
			cat "$log/$name.out"; failed=$((failed + 1)); failures+=("$name")
		fi
	done
fi

if [ "$only" = all ] || [ "$only" = integration ]; then
	for s in "$here"/integration/*.sh; do
		[ -f "$s" ] || continue
		name=$(basename "$s" .sh)
		case $name in lib | world) continue ;; esac
		[ "$scripts" = "  " ] || [[ $scripts == *" $name "* ]] || continue
		echo "== integration: $name"
		if timeout "$limit" bash "$s" >"$log/$name.out" 2>&1; then rc=0; else rc=$?; fi
		cat "$log/$name.out"
		p=$(grep -c '^ok ' "$log/$name.out")
		f=$(grep -c '^not ok ' "$log/$name.out")
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$f" -gt 0 ] && failures+=("$name")
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
			failed=$((failed + 1)); failures+=("$name (exit $rc)")
		fi
	done
fi

rm -rf "$log"
echo
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
