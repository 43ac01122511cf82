#!/usr/bin/env bash
# Interleaved rounds of the same workload on several transports, then the median of each and its ratio to the first.
# The VM's speed drifts from minute to minute; interleaving and medians keep the comparison fair.
# Usage: benchmarks/scripts/compare.sh ROUNDS "ARGS FOR ALL" "ARGS A" "ARGS B" ...
#   e.g. compare.sh 5 "--workload throughput --queue-type quorum" "--transport raw-rabbitmq" "--transport rabbitmq"
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=$1; common=$2; shift 2
dll=benchmarks/Tidings.Benchmarks/bin/Release/net10.0/Tidings.Benchmarks.dll
[ -f "$dll" ] || dotnet build benchmarks/Tidings.Benchmarks -c Release >/dev/null
out=$(mktemp)
for round in $(seq 1 "$rounds"); do
  for variant in "$@"; do
    # shellcheck disable=SC2086
    line=$(dotnet "$dll" $common $variant 2>/dev/null | tail -1)
    echo "$line"
    printf '%s\t%s\n' "$variant" "$line" >>"$out"
  done
done
python3 - "$out" "$@" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    variant, data = line.rstrip("\n").split("\t", 1)
    rows.setdefault(variant, []).append(json.loads(data))
base = None
for variant in sys.argv[2:]:
    r = rows[variant]
    keys = [k for k in ("msgs_per_s", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "alloc_bytes_per_msg") if all(k in x for x in r)]
    med = {k: statistics.median(x[k] for x in r) for k in keys}
    base = base or med
    # Latency runs also give p90 and p99.9: a tail that is a few stalls of the machine shows as a p90 that agrees and a
    # p99 on the cliff between the two modes.
    tails = "".join(f"  {k[:-3]} {med[k]:7.3f} ms ({med[k]-base[k]:+.3f})" for k in ("p50_ms", "p90_ms", "p99_ms", "p999_ms") if k in med and k in base)
    print(f"median {variant:40s} msgs/s {med['msgs_per_s']:8.0f} ({med['msgs_per_s']/base['msgs_per_s']:.2f}x){tails}  "
          f"alloc {med['alloc_bytes_per_msg']:6.0f} B/msg")
PY
rm -f "$out"
