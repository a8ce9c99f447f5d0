#!/usr/bin/env bash
# Writes the seed inputs of the fuzz targets (fuzz/seeds/<target>/) from real files made by the
# `mizani` CLI: a sync package each way and an enrolment file (as they are, and their JSON
# bodies, which the targets seal themselves), the built-in formulas, measurements CSV files
# and an assessment exported from the demo. The seeds are committed; run this again after a
# change of format. Needs target/debug/mizani (cargo build -p mizani-cli) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
M="${CARGO_TARGET_DIR:-target}/debug/mizani"
S=fuzz/seeds
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MIZANI_USER=seeds
# Only the seeds written here (read_csv has hand-made seeds; those of read_xlsx come from
# UPDATE_FUZZ_SEEDS=1 cargo test -p mizani-core --test sheet fuzz_seeds).
rm -rf "$S"/{sync_package,enrolment,formula,measurements_csv,assessment_csv}
mkdir -p "$S"/{sync_package,enrolment,formula,measurements_csv,assessment_csv}

# Sync: head office, two branches, a branch site for BR01, edits on both sides.
hq="$work/hq.sqlite" br="$work/br.sqlite"
$M --db "$hq" init --org "Seed MFI" --currency XOF >/dev/null
for b in BR01 BR02; do $M --db "$hq" branch add $b --name "Branch $b" --region North >/dev/null; done
printf 'branch,period,element,value,comment\nBR01,2025-01,glp,1000,first\nBR02,2025-01,glp,2000,\nBR01,2025-01,active_borrowers,120,\n' > "$work/a.csv"
$M --db "$hq" import "$work/a.csv" >/dev/null
$M --db "$hq" site enrol BR01 --name "North office" -o "$S/enrolment/br01.mizenrol" >/dev/null
$M --db "$br" site join "$S/enrolment/br01.mizenrol" >/dev/null
printf 'branch,period,element,value\nBR01,2025-02,glp,1100\nBR01,2025-01,glp,1001\n' > "$work/b.csv"
$M --db "$br" import "$work/b.csv" >/dev/null
printf 'branch,period,element,value\nBR02,2025-02,glp,2100\nBR01,2025-01,par30_balance,50\n' > "$work/c.csv"
$M --db "$hq" import "$work/c.csv" >/dev/null
$M --db "$hq" mission --mission "Seed mission" --value Respect >/dev/null
$M --db "$hq" objective add --title "Seed objective" --practice 2 --dimension social_strategy \
  --start 2025-01-01 --end 2027-12-31 --indicator par30 --target par30=4@2026-Q4 >/dev/null
$M --db "$hq" sync export -o "$S/sync_package/hq-to-branch.mizpkg" >/dev/null
$M --db "$br" sync export -o "$S/sync_package/branch-to-hq.mizpkg" >/dev/null

# The JSON bodies (deflate after a 19-byte header, before the 96-byte checksum and signature);
# a sync body's first byte says which way it goes (0: to the branch site, 1: to head office).
python3 - "$S" <<'PY'
import sys, zlib, pathlib
s = pathlib.Path(sys.argv[1])
def body(p):
    b = p.read_bytes()
    return zlib.decompress(b[19:len(b) - 96], -15)
(s / "sync_package/hq-to-branch.json").write_bytes(b"\x00" + body(s / "sync_package/hq-to-branch.mizpkg"))
(s / "sync_package/branch-to-hq.json").write_bytes(b"\x01" + body(s / "sync_package/branch-to-hq.mizpkg"))
(s / "enrolment/br01.json").write_bytes(body(s / "enrolment/br01.mizenrol"))
PY

# Formulas: every built-in numerator and denominator, and a few more shapes.
python3 - "$S/formula" <<'PY'
import sys, json, pathlib
out = pathlib.Path(sys.argv[1])
d = json.load(open("assets/catalogue/indicators.json"))
items = d["indicators"] if isinstance(d, dict) else d
seen = set()
for i in items:
    for k in ("numerator", "denominator"):
        seen.add(i[k])
seen |= {"avg(glp) / org.gni_per_capita * 100", "-(a - b) / (c * 2.5)", "opening(glp)"}
for n, f in enumerate(sorted(seen)):
    (out / f"f{n:03}.txt").write_text(f)
PY

# Measurements CSV: the usual notations, separators, a BOM, comments, a bad row.
C="$S/measurements_csv"
printf 'branch,period,element,value,comment\nBR01,2025-01,glp,"1,234,567.50",audited\nN01,2025-02,staff,4,\n' > "$C/comma.csv"
printf 'branch;period;element;value\nBR01;2025-01;glp;1 234,5\nS-02;2025-03;par30_balance;12,25\n' > "$C/semicolon.csv"
printf '\xef\xbb\xbfbranch\tperiod\telement\tvalue\nBR01\t2025-01\tactive_borrowers\t120\n' > "$C/bom-tab.csv"
printf 'branch,period,element,value\nBR01,2025-13,glp,abc\nXX,2025-01,nope,-5\nBR01,2025-01,glp,1\nBR01,2025-01,glp,2\n' > "$C/bad.csv"
cp "$work/a.csv" "$C/import.csv"

# Assessment CSV: the demo's complete assessment, exported.
demo="$work/demo.sqlite"
$M --db "$demo" demo >/dev/null
id=$($M --db "$demo" --json assessment list | python3 -c 'import sys, json; print(max(a["id"] for a in json.load(sys.stdin)))')
$M --db "$demo" assessment export "$id" -o "$S/assessment_csv/demo.csv" >/dev/null
head -5 "$S/assessment_csv/demo.csv" > "$S/assessment_csv/short.csv"
ls -l "$S"/*
