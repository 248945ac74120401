# Medians of repeated runs: input lines "K1 K2 K3 VALUE", sorted by the
# keys and then the value; output per key "K1 K2 K3 MEDIAN [MIN MAX]",
# with prec decimals (awk -v prec=N, default 2). Used by repeat_runs in
# repeat.sh.
function flush() {
	if (n) {
		m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		printf "%s %s %s %.*f [%.*f %.*f]\n", k1, k2, k3, prec, m,
		       prec, v[1], prec, v[n]
	}
	n = 0
}
BEGIN { if (prec == "") prec = 2 }
$1 != k1 || $2 != k2 || $3 != k3 { flush(); k1 = $1; k2 = $2; k3 = $3 }
{ v[++n] = $4 }
END { flush() }
