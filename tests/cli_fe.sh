#!/bin/sh
# The FE commands through the command line: `cryptonn fe` setup, keygen,
# encrypt and decrypt as separate processes (files between them), `cryptonn
# smc` on CSV input, and clean errors for mismatched or damaged files.
set -u
BIN=${1:?usage: cli_fe.sh path/to/cryptonn}
NAME=cli_fe
. "$(dirname "$0")/clilib.sh"
same() { # same FILE EXPECTED DESCRIPTION
    if [ "$(cat "$1")" = "$2" ]; then ok; else bad "$3: got '$(cat "$1")', wanted '$2'"; fi
}

expect 0 "setup" -- "$BIN" fe setup --slots 3 --mpk "$T/a.mpk" --msk "$T/a.msk"
case $(stat -c %a "$T/a.msk") in 600) ok ;; *) bad "msk mode $(stat -c %a "$T/a.msk")" ;; esac
printf '1,2,3\n0,0,0\n-1,5,0\n' >"$T/Y.csv"
printf '4 5 6\n-7 8 9\n' >"$T/X.csv"
expect 0 "keygen" -- "$BIN" fe keygen --msk "$T/a.msk" --keys "$T/a.keys" "$T/Y.csv"
expect 0 "encrypt" -- "$BIN" fe encrypt --mpk "$T/a.mpk" --out "$T/a.cts" --bits 8 "$T/X.csv"
expect 0 "decrypt" -- "$BIN" fe decrypt --keys "$T/a.keys" --cts "$T/a.cts"
same "$T/out" "$(printf '32,0,21\n36,0,47')" "decrypted inner products"
# Beyond the bound: NA, exit 1, never a wrong number.
expect 1 "decrypt, small bound" -- "$BIN" fe decrypt --keys "$T/a.keys" --cts "$T/a.cts" --bound 30
same "$T/out" "$(printf 'NA,0,21\nNA,0,NA')" "out-of-bound results"
# Keys of another mpk: refused.
expect 0 "second setup" -- "$BIN" fe setup --slots 3 --mpk "$T/b.mpk" --msk "$T/b.msk"
expect 0 "keys of b" -- "$BIN" fe keygen --msk "$T/b.msk" --keys "$T/b.keys" "$T/Y.csv"
expect 1 "keys of another mpk" -- "$BIN" fe decrypt --keys "$T/b.keys" --cts "$T/a.cts"
# Wrong widths, wrong kinds, damaged files.
printf '1,2\n' >"$T/Y2.csv"
expect 1 "key width" -- "$BIN" fe keygen --msk "$T/a.msk" --keys "$T/c.keys" "$T/Y2.csv"
expect 1 "x width" -- "$BIN" fe encrypt --mpk "$T/a.mpk" --out "$T/c.cts" "$T/Y2.csv"
printf '1.5,2,3\n' >"$T/F.csv"
expect 1 "fractions" -- "$BIN" fe encrypt --mpk "$T/a.mpk" --out "$T/c.cts" "$T/F.csv"
expect 1 "an mpk as keys" -- "$BIN" fe decrypt --keys "$T/a.mpk" --cts "$T/a.cts"
head -c 100 "$T/a.cts" >"$T/t.cts"
expect 1 "truncated ciphertexts" -- "$BIN" fe decrypt --keys "$T/a.keys" --cts "$T/t.cts"
cp "$T/a.cts" "$T/x.cts"
printf 'Z' | dd of="$T/x.cts" bs=1 seek=60 conv=notrunc 2>/dev/null
expect 1 "corrupted ciphertexts" -- "$BIN" fe decrypt --keys "$T/a.keys" --cts "$T/x.cts"
expect 2 "no subcommand" -- "$BIN" fe

# Secure matrix computation on reals (two decimal digits) and on integers.
printf '1,2,3\n-4,5.5,6\n' >"$T/SX.csv"
printf '1,0\n0,1\n0.25,-2\n' >"$T/SY.csv"
expect 0 "smc" -- "$BIN" smc --quiet "$T/SX.csv" "$T/SY.csv"
same "$T/out" "$(printf '1.7500,-4.0000\n-2.5000,-6.5000')" "smc product"
printf '1 2 3\n4 5 6\n' >"$T/IX.csv"
printf '1 2\n3 4\n5 6\n' >"$T/IY.csv"
expect 0 "smc integers" -- "$BIN" smc --quiet --scale 0 "$T/IX.csv" "$T/IY.csv"
same "$T/out" "$(printf '22,28\n49,64')" "smc integer product"
expect 1 "smc shapes" -- "$BIN" smc --quiet "$T/IX.csv" "$T/SX.csv"

finish
