#!/usr/bin/env bats
# The manual pages: lint-clean, and fpctl.8 documents every command and
# keyword fpctl's own help lists, every JSON key and the exit statuses.

bats_require_minimum_version 1.5.0

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	make -s -C "$TOP/cli" >&2
}

@test "man: fpctl.8 and fastpath.7 are lint-clean" {
	run mandoc -T lint -W warning "$TOP/man/fpctl.8" "$TOP/man/fastpath.7"
	assert_success
	assert_output ""
	# And they render with man(1) without complaint.
	run --separate-stderr man --warnings -l "$TOP/man/fpctl.8"
	assert_success
	assert_equal "$stderr" ""
}

# The page as plain text, hyphenation and adjustment off.
rendered() {
	MANWIDTH=400 mandoc -T utf8 -O width=400 "$1" | col -b | sed 's/\xe2\x80\x90/-/g'
}

@test "man: fpctl.8 documents every command and keyword of fpctl help" {
	local page words w
	page=$(rendered "$TOP/man/fpctl.8")
	# Commands: "fpctl OBJECT COMMAND" as the help prints them.
	while read -r w; do
		grep -qF -- "$w" <<<"$page" || fail "fpctl.8 lacks \"$w\""
	done < <("$TOP/cli/fpctl" help | sed -n 's/^ *\(fpctl [a-z]\+\( [a-z]\+\)\?\).*/\1/p' |
		grep -v '^fpctl help')
	# Keywords and options: every word of the help that is not a metavariable.
	words=$("$TOP/cli/fpctl" help | tr -s ' {}[]|:=()/' '\n' | grep -E '^-?-?[a-z][a-z-]*$' | sort -u)
	for w in $words; do
		grep -qw -- "$w" <<<"$page" || fail "fpctl.8 lacks keyword \"$w\""
	done
}

@test "man: fpctl.8 documents every JSON key fpctl prints" {
	local page key
	page=$(rendered "$TOP/man/fpctl.8")
	# Every string literal used as a JSON key in cli/*.c.
	for key in $(grep -ohE 'pr_(str|u64|bool|ms)\((PR_ANY|PR_JSON), "[a-z_]+"|pr_ms\("[a-z_]+"|pr_open_object\("[a-z_]+"' "$TOP"/cli/*.c |
		grep -oE '"[a-z_]+"' | tr -d '"' | sort -u); do
		grep -qF "\"$key\"" <<<"$page" || fail "fpctl.8 lacks JSON key \"$key\""
	done
	# Keys built at run time: exceptions, config settings, devices.
	for key in no_flow table_full not_unicast flow_limit stats_interval \
		iif iif_index oif oif_index sport_min dport_max; do
		grep -qF "\"$key\"" <<<"$page" || fail "fpctl.8 lacks JSON key \"$key\""
	done
}

@test "man: fpctl.8 documents every option and every Prometheus metric" {
	local page opt metric
	page=$(rendered "$TOP/man/fpctl.8")
	# "-j[son]" in the help is "-j, -json" in OPTIONS.
	for opt in $("$TOP/cli/fpctl" help | sed -n '/^OPTIONS :=/,$p' |
		grep -oE -- '-[A-Za-z]+\[[a-z]+\]' | tr -d '[]'); do
		grep -qE -- "^ +-[A-Za-z]+, $opt( |\$)" <<<"$page" || fail "fpctl.8 lacks option $opt"
	done
	for metric in $(grep -oE '"[a-z_]+", "(counter|gauge)"' "$TOP/cli/stats.c" | cut -d'"' -f2); do
		grep -qw "fastpath_$metric" <<<"$page" || fail "fpctl.8 lacks metric fastpath_$metric"
	done
}

@test "man: exit statuses and error texts match fpctl" {
	local page
	page=$(rendered "$TOP/man/fpctl.8")
	grep -q '^EXIT STATUS' <<<"$page"
	run "$TOP/cli/fpctl" rule add foo 1
	assert_failure 2
	grep -qF "$output" <<<"$page" || fail "fpctl.8 lacks \"$output\""
	local cmd
	for cmd in "rule add dport 70000 action bypass" "rule add src 10.0.0.1/24 action bypass" \
		"rule add dst 10.0.0.0/33 action bypass" "rule add d 1" "rule add action drop"; do
		# shellcheck disable=SC2086
		run "$TOP/cli/fpctl" $cmd
		assert_failure 2
		grep -qF "$output" <<<"$page" || fail "fpctl.8 lacks \"$output\""
	done
	run "$TOP/cli/fpctl" stats
	assert_failure 1
	grep -qF "$output" <<<"$page"
}

@test "man: fastpath.7 documents every module parameter and exception reason" {
	local page w
	page=$(rendered "$TOP/man/fastpath.7")
	for w in $(grep -oE 'module_param_named\([a-z_]+' "$TOP"/kernel/*.c | sed 's/.*(//'); do
		grep -qF "$w=" <<<"$page" || fail "fastpath.7 lacks parameter $w"
	done
	# The names generated from the spec (tests/host/cli.bats checks them).
	for w in $(sed -n '/fp_exceptions_names/,/};/s/.*= "\(.*\)",/\1/p' "$TOP/cli/names.c"); do
		grep -qw -- "$w" <<<"$page" || fail "fastpath.7 lacks exception reason $w"
	done
}
