#!/bin/sh
# One command, both backends, beside OpenSSL: each round runs
#   openssl speed -seconds 3 rsa2048            (sign/s and verify/s per CPU second)
# and then the `cpu/…` criterion benches (CPU time of the benchmark thread,
# CLOCK_THREAD_CPUTIME_ID) of wxpay-sign built with each backend:
#   ring    (default features)
#   aws-lc  (--no-default-features --features aws-lc)
# and prints ops/s and the ratios ours/OpenSSL:
#   sign_x = cpu/sign/raw_36_bytes ÷ OpenSSL sign/s
#   vrfy_x = cpu/verify/response   ÷ OpenSSL verify/s
# followed by the median ratio of the rounds per backend. The order of the two
# backends alternates between rounds.
#
# Usage (from the workspace root):
#   sh crates/wxpay-sign/benches/compare_openssl.sh [rounds] [measurement-seconds]
# BACKENDS="aws-lc" (or "ring") limits the run to one backend.
set -eu
rounds=${1:-3}
secs=${2:-3}
backends=${BACKENDS:-"ring aws-lc"}

command -v openssl >/dev/null 2>&1 || { echo "openssl is not installed" >&2; exit 1; }

features() {
  case $1 in
    ring) echo "" ;;
    aws-lc) echo "--no-default-features --features aws-lc" ;;
    *) echo "unknown backend $1 (ring or aws-lc)" >&2; exit 1 ;;
  esac
}

# Build every bench binary first, then run the executables directly (no cargo in
# the timed part, no build lock held by another cargo).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for b in $backends; do
  # shellcheck disable=SC2046
  cargo bench -p wxpay-sign --bench sign $(features "$b") --no-run 2>"$tmp/build.log" || {
    cat "$tmp/build.log" >&2; exit 1; }
  exe=$(sed -n 's/.*Executable .*(\(.*\)).*/\1/p' "$tmp/build.log" | tail -n 1)
  [ -x "$exe" ] || { echo "no bench executable for $b" >&2; cat "$tmp/build.log" >&2; exit 1; }
  echo "$exe" > "$tmp/exe.$b"
done

echo "openssl: $(openssl version)"
echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) ($(nproc) cpus), load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-3s %10s %10s | %-6s %10s %10s %10s %9s | %7s %7s\n' \
  rnd ossl_sign ossl_vrfy impl sign_raw sign_hdr verify webhook sign_x vrfy_x
i=1
while [ "$i" -le "$rounds" ]; do
  ossl=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6, $7}')
  [ -n "$ossl" ] || { echo "could not read openssl speed output" >&2; exit 1; }
  order=$backends
  if [ $((i % 2)) -eq 0 ]; then
    order=$(echo "$backends" | awk '{for (j = NF; j > 0; j--) printf "%s ", $j}')
  fi
  for b in $order; do
    "$(cat "$tmp/exe.$b")" --bench --warm-up-time 1 --measurement-time "$secs" \
      --output-format bencher '^cpu/' 2>/dev/null \
      | awk '/^test / {gsub(",", "", $5); print $2, $5}' > "$tmp/out"
    awk -v rnd="$i" -v ossl="$ossl" -v impl="$b" '
      { sub("^cpu/", "", $1); v[$1] = $2 }
      END {
        split(ossl, o, " ")
        sr = 1e9 / v["sign/raw_36_bytes"]; sh = 1e9 / v["sign/authorization_header"]
        vr = 1e9 / v["verify/response"]
        printf "%-3s %10.1f %10.1f | %-6s %10.1f %10.1f %10.1f %7dns | %7.3f %7.3f\n",
          rnd, o[1], o[2], impl, sr, sh, vr, v["webhook/decrypt_1KiB"], sr / o[1], vr / o[2]
      }' "$tmp/out" | tee -a "$tmp/rows"
  done
  i=$((i + 1))
done

echo "median over $rounds round(s), CPU time:"
for b in $backends; do
  for col in 11 12; do
    awk -v impl="$b" '$5 == impl {print $'"$col"'}' "$tmp/rows" | sort -n \
      | awk '{a[NR] = $1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%s ", m}'
  done | awk -v impl="$b" '{printf "  %-6s sign %.3fx  verify %.3fx of OpenSSL\n", impl, $1, $2}'
done
