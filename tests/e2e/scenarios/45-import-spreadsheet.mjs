// The import wizard with a wide XLSX written here (one row per branch, one column per data
// element): N04's figures for 2026-09, which the demo lacks. One header ("Risque > 30 j
// (interne)") matches nothing: the user maps it to the PAR30 balance. The preview then shows
// the cell that is not a number as an error on its cell and the Import button is disabled;
// the file is fixed on disk, "Read the file again" clears the error, the import writes the
// values (the CLI sees them) and the dashboard shows the branch reporting (PAR30 2026-Q3 from
// 11 to 12 reporting branches). The file is typed in the wizard's path field (the native
// dialog is the other way in), as other scenarios type paths.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";

export const title = "import wizard: wide XLSX, unknown header mapped, cell error shown, file fixed and read again → imported → dashboard";

const explainN04 = (t) => t.demo("--json", "explain", "par30", "--period", "2026-09", "--scope", "branch:N04");
const par30Q3 = (t) => t.demo("--json", "indicators", "--period", "2026-Q3").find((i) => i.code === "par30");

/** A ZIP archive of stored (uncompressed) entries: enough for an XLSX. */
function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, text] of entries) {
    const data = Buffer.from(text, "utf8");
    const fname = Buffer.from(name, "utf8");
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fname.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fname.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fname, data);
    centrals.push(central, fname);
    offset += local.length + fname.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A one-sheet workbook; `rows` are arrays of strings (text cells) and numbers (number cells). */
function xlsx(sheetName, rows) {
  const cols = "ABCDEFGHIJ";
  const xmlRows = rows
    .map((r, i) => {
      const cells = r
        .map((v, k) => {
          const ref = `${cols[k]}${i + 1}`;
          return typeof v === "number"
            ? `<c r="${ref}"><v>${v}</v></c>`
            : `<c r="${ref}" t="inlineStr"><is><t>${esc(v)}</t></is></c>`;
        })
        .join("");
      return `<row r="${i + 1}">${cells}</row>`;
    })
    .join("");
  return zip([
    [
      "[Content_Types].xml",
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
    ],
    [
      "_rels/.rels",
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ],
    [
      "xl/workbook.xml",
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="${esc(sheetName)}" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    ],
    [
      "xl/_rels/workbook.xml.rels",
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    ],
    [
      "xl/worksheets/sheet1.xml",
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${xmlRows}</sheetData></worksheet>`,
    ],
  ]);
}

const HEADER = ["Agence", "Mois", "glp", "Risque > 30 j (interne)"];

export default async function (t) {
  t.env.prepareDemo();
  const before = par30Q3(t);
  assert.equal(before.reported, 11, "demo: 11 of 12 branches report PAR30 for 2026-Q3");
  assert.equal(explainN04(t).value, null, "demo: no PAR30 data for N04 in 2026-09");

  // GLP 370 000 000 and a PAR30 balance typed as "n/a": not a number once the column is mapped.
  const file = join(t.env.dir, "agences-2026-09.xlsx");
  writeFileSync(file, xlsx("Septembre", [HEADER, ["N04", "2026-09", 370000000, "n/a"]]));
  // The CLI agrees that the file is refused as it is.
  assert.throws(() => t.demo("import", file, "--dry-run"), "the CLI refuses the file with the unknown header");

  await t.open();
  await t.text(["tile-par30", "tile-value"], t.fmtPercent(before.value, "en"), 20000);
  await t.nav("entry");
  await t.click("import-open");

  // Step 1: the file, and what was detected.
  await t.set("import-path", file);
  await t.click("import-read");
  const format = await t.text("import-format", (s) => /XLSX/.test(s) && /wide/.test(s), 15000);
  t.log(`detected: ${format.replace(/\s+/g, " ").trim()}`);
  await t.click("import-next");

  // Step 2: column D is not recognised; map it to the PAR30 balance.
  const d = await t.shown("import-map-D");
  assert.equal(await d.getValue(), "unmatched", "the unknown header is flagged");
  assert.equal(await (await t.shown("import-map-C")).getValue(), "data:glp", "glp is matched by its code");
  await t.set("import-map-D", "data:par30_balance");
  await t.click("import-preview-go");

  // Step 3: the non-number is an error on its cell (D2) and the import is blocked.
  const cell = await t.shown("import-cell-D2", 15000);
  await t.browser.waitUntil(async () => (await cell.getAttribute("aria-invalid")) === "true", {
    timeout: 5000,
    timeoutMsg: "D2 is not marked as an error",
  });
  const tip = await cell.getAttribute("title");
  assert.match(tip ?? "", /Not a number/, `D2's tooltip says what is wrong (${tip})`);
  assert.equal(await (await t.shown("import-commit")).isEnabled(), false, "Import is disabled while an error remains");
  t.log(`blocked: ${(await t.text("import-blocked")).trim()}`);
  await t.screen("import");
  await t.sleep(300);
  assert.equal(explainN04(t).value, null, "nothing written by the preview");

  // The file is fixed (37 000 000: PAR30 of 10 %) and read again.
  writeFileSync(file, xlsx("Septembre", [HEADER, ["N04", "2026-09", 370000000, 37000000]]));
  await t.click("import-reread");
  await t.browser.waitUntil(async () => (await (await t.$("import-commit")).isEnabled()), {
    timeout: 10000,
    timeoutMsg: "Import stays disabled after the fix",
  });
  assert.notEqual(await (await t.$("import-cell-D2")).getAttribute("aria-invalid"), "true", "D2 is no longer an error");
  t.log(`counts: ${(await t.text("import-counts")).replace(/\s+/g, " ").trim()}`);
  await t.click("import-commit");
  await t.browser.waitUntil(async () => explainN04(t).value !== null, {
    timeout: 10000,
    timeoutMsg: "the import did not write (CLI explain still null)",
  });
  assert.ok(Math.abs(explainN04(t).value - 10) < 1e-9, "N04 2026-09 PAR30 = 10 %");
  await (await t.$("import-wizard")).waitForExist({ reverse: true, timeout: 5000, timeoutMsg: "the wizard stays open after the import" });

  // The dashboard reflects it.
  const after = par30Q3(t);
  assert.equal(after.reported, 12, "12 of 12 branches report PAR30 for 2026-Q3 now");
  await t.nav("dashboard");
  const tile = await t.text(["tile-par30", "tile-value"], t.fmtPercent(after.value, "en"), 15000);
  await t.text("tile-par30", /\b12 of 12 branches reported\b/);
  t.log(`PAR30 2026-Q3: ${t.fmtPercent(before.value)} (11/12) → ${tile} (12/12)`);
}
