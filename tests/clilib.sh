# Helpers shared by the tests/cli_*.sh scripts (sourced, not run): a temporary
# directory $T removed on exit, pass/fail counting, and expectations on exit
# codes and output. The caller sets NAME before sourcing.
T=$(mktemp -d "/tmp/cryptonn-$NAME-XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
expect() { # expect CODE DESCRIPTION -- command...
    want=$1; what=$2; shift 3
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, wanted $want"; cat "$T/err" >&2; fi
}
contains() { # contains FILE TEXT DESCRIPTION
    if grep -q -- "$2" "$1"; then ok; else bad "$3: '$2' not in $1"; sed -n 1,20p "$1" >&2; fi
}
finish() { # prints the closing line and exits with the verdict
    echo "$NAME: $pass passed, $fail failed"
    [ "$fail" = 0 ]
    exit $?
}
