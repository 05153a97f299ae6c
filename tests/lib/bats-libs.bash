# bats-support and bats-assert, for the integration suites: `load` this
# rather than bats_load_library them.  Their loaders find each of their
# files with "$(dirname ...)", an exec per file, a dozen per test, which
# under TCG adds seconds to every test; a shell function answers those
# calls while they load.
dirname() {
	local path=$1
	path=${path%"${path##*[!/]}"}
	case $path in
	"") echo / ;;
	*/*)
		path=${path%/*}
		path=${path%"${path##*[!/]}"}
		echo "${path:-/}"
		;;
	*) echo . ;;
	esac
}
bats_load_library bats-support
bats_load_library bats-assert
unset -f dirname
