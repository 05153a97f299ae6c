# bats-support and bats-assert, for the integration suites: `load` this
# rather than bats_load_library them.  bats sources a test file again for
# every test, and their loaders find each of their fifteen files with
# "$(dirname ...)": a fork per file, 0.35 s a test under TCG.  Their files
# define functions only, so they are sourced here straight from each
# library's directory on BATS_LIB_PATH.
bats_libs_source() {
	local lib=$1 dirs dir f
	IFS=: read -ra dirs <<<"$BATS_LIB_PATH"
	for dir in "${dirs[@]}"; do
		[ -f "$dir/$lib/load.bash" ] || continue
		for f in "$dir/$lib"/src/*.bash; do
			# shellcheck source=/dev/null
			source "$f" || return
		done
		return 0
	done
	echo "bats-libs: $lib (with src/*.bash) not found in BATS_LIB_PATH=$BATS_LIB_PATH" >&2
	return 1
}
bats_libs_source bats-support && bats_libs_source bats-assert || exit 1
unset -f bats_libs_source

# jq is gojq in the suites.  jq 1.6 compiles its builtins at every start:
# 0.3 s an exec under TCG against gojq's 0.06 s, and the suites run it
# thousands of times (a fifth of 19-ipv4-events' time).  gojq prints every
# object with its keys sorted, as jq -S does (an option gojq does not
# take), so a test that reads the order of keys calls `command jq`.
jq() {
	local arg args=()
	for arg; do
		[ "$arg" = -S ] || args+=("$arg")
	done
	gojq "${args[@]}"
}
