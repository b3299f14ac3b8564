#!/bin/sh
# Runs `openssl speed rsa2048` (CPU-time and -elapsed wall-clock) and the
# criterion bench back to back, N rounds, and prints ops/s for both plus the
# ratios ours/OpenSSL: cpu/* benches vs plain `openssl speed` (which divides by
# CPU user time), wall/* benches vs `openssl speed -elapsed`.
# Usage (from the workspace root):  sh crates/wxpay-sign/benches/compare_openssl.sh [rounds]
set -eu
rounds=${1:-3}
cargo bench -q -p wxpay-sign --bench sign --no-run 2>/dev/null
printf '%-3s %-4s %10s %10s | %10s %10s %10s %9s | %7s %7s\n' \
  rnd clk ossl_sign ossl_vrfy sign_raw sign_hdr verify webhook sign_x vrfy_x
i=1
while [ "$i" -le "$rounds" ]; do
  cpu=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6, $7}')
  ours=$(cargo bench -q -p wxpay-sign --bench sign -- --warm-up-time 1 --measurement-time 3 \
           --output-format bencher 2>/dev/null | awk '/^test / {gsub(",", "", $5); print $2, $5}')
  if [ -z "$ours" ]; then
    echo "round $i: cargo bench produced no output (build lock or build error?); skipped" >&2
    i=$((i + 1))
    continue
  fi
  wall=$(openssl speed -elapsed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6, $7}')
  for clk in cpu wall; do
    if [ "$clk" = cpu ]; then ossl=$cpu; else ossl=$wall; fi
    echo "$ours" | awk -v clk="$clk" -v rnd="$i" -v ossl="$ossl" '
      $1 ~ "^" clk "/" { sub("^" clk "/", "", $1); v[$1] = $2 }
      END {
        split(ossl, o, " ")
        sr = 1e9 / v["sign/raw_36_bytes"]; sh = 1e9 / v["sign/authorization_header"]
        vr = 1e9 / v["verify/response"]
        printf "%-3s %-4s %10.1f %10.1f | %10.1f %10.1f %10.1f %7dns | %7.3f %7.3f\n",
          rnd, clk, o[1], o[2], sr, sh, vr, v["webhook/decrypt_1KiB"], sr / o[1], vr / o[2]
      }'
  done
  i=$((i + 1))
done
