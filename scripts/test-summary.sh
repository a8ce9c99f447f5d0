#!/usr/bin/env bash
# Sums the test counts of every log into one closing line, "tests: N passed, N failed":
# cargo test ("test result: ok. N passed; M failed"), node --test ("# pass N", "# fail N") and
# the end-to-end runner ("e2e: N passed, N failed").
set -euo pipefail
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^# pass [0-9]+$/ { p += $3 }
     /^# fail [0-9]+$/ { f += $3 }
     /^e2e: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 }
     END { printf "tests: %d passed, %d failed\n", p, f; if (p == 0 || f > 0) exit 1 }' "$@"
