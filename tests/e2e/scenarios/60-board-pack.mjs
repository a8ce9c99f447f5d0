// The board pack from the Reports page: open the demo, choose French, "Create and open" → the
// page shows the file it wrote under the database's folder (reports/), the PDF is there, and
// pdftotext finds a French heading and PAR30 formatted the French way with the value the CLI
// computes; the same pack written by the CLI has the same text. The system viewer is a stand-in
// (an XDG desktop entry of this scenario's own folders) that records what it was asked to
// open, so no real viewer starts under Xvfb; a viewer that fails only adds a notice. Then a
// branch that sent nothing for the month: the one-pager is offered, and refused with the reason.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fakeViewer } from "../lib.mjs";
import { dirname, join } from "node:path";

export const title = "board pack: French PDF from the Reports page, same numbers and text as the CLI";

const pdftotext = (file) => execFileSync("pdftotext", [file, "-"], { encoding: "utf8" });
// The renderer may separate "3,59" and "%" with a no-break space: compare spaces as spaces.
const plain = (s) => s.replace(/[\u00a0\u202f]/g, " ");

export default async function (t) {
  t.env.prepareDemo();
  const viewerLog = fakeViewer(t.env);
  const par30 = t.demo("--json", "indicators", "--period", "2026-Q3").find((i) => i.code === "par30");
  assert.ok(par30 && par30.value !== null, "the CLI computes PAR30 for 2026-Q3");
  const want = t.fmtPercent(par30.value, "fr"); // "3,59 %": 2 decimals, decimal comma
  assert.match(want, /^\d+,\d\d %$/);

  await t.open();
  await t.text("nav-dashboard", "Dashboard", 20000);
  await t.nav("reports");
  const lang = await t.shown("report-lang");
  assert.equal(await lang.getValue(), "en", "the report's language defaults to the interface language");
  for (const s of ["summary", "dual", "objectives", "branches", "appendix"]) {
    assert.ok(await (await t.shown(`report-sections-${s}`)).isSelected(), `section ${s} is on by default`);
  }
  await t.select("report-lang", "fr");
  await t.click("report-create");
  const path = (await t.text("report-path", (s) => s.endsWith(".pdf"), 60000)).trim();
  const expected = join(dirname(t.env.demoDb), "reports", "mizani-2026-Q3-org-fr.pdf");
  assert.equal(path, expected, "Create and open writes to reports/ beside the database");
  assert.ok(existsSync(path), `the PDF exists: ${path}`);
  assert.equal(await (await t.$("report-error")).isExisting(), false, "no error is shown");
  const done = await t.text("report-done", /\d/);
  t.log(`notice: "${done.replace(/\s+/g, " ").trim()}"`);

  // The viewer was asked to open that file (or, if none could, the page said so and the file
  // is there all the same).
  await t.browser.waitUntil(async () => existsSync(viewerLog) || (await (await t.$("report-viewer-error")).isExisting()), {
    timeout: 10000,
    timeoutMsg: "the system viewer was neither called nor reported as failing",
  });
  if (existsSync(viewerLog)) {
    assert.equal(readFileSync(viewerLog, "utf8").trim(), path, "the system viewer opens the PDF just written");
  } else {
    t.log(`viewer: ${await t.text("report-viewer-error")}`);
  }

  const text = plain(pdftotext(path));
  assert.ok(text.includes("Kora Microfinance (demo)"), "the pack names the institution");
  assert.ok(text.includes("Portefeuille à risque > 30 jours"), "indicator names in French");
  assert.ok(text.includes("Synthèse") && text.includes("Comparaison des agences"), "French headings");
  assert.ok(text.includes(want), `PAR30 in French (${want}) as the CLI computes it`);
  t.log(`PDF: ${path.split("/").pop()}, PAR30 "${want}"`);

  // The CLI's pack in French has the same text (same engine, same renderer).
  const cliPdf = join(t.env.dir, "cli-fr.pdf");
  t.demo("report", "--period", "2026-Q3", "--lang", "fr", "-o", cliPdf);
  assert.equal(plain(pdftotext(cliPdf)), text, "the app's PDF reads the same as the CLI's");

  // N04 has not sent September 2026: its one-pager for that month is refused, with the reason.
  assert.equal(await (await t.$("report-branch-page")).isExisting(), false, "no one-pager for the whole institution");
  await t.select("period-kind", "month");
  await t.select("period", "2026-09");
  await t.select("scope", "branch:N04");
  await t.click("report-branch-page");
  await t.click("report-create");
  const err = await t.text("report-error", /2026-09/, 30000);
  t.log(`N04, 2026-09: "${err}"`);
  assert.match(err, /no data/, "the page says why there is no report");
  assert.equal(await (await t.$("report-path")).isExisting(), false, "no file is announced");
  assert.deepEqual(readdirSync(dirname(expected)), ["mizani-2026-Q3-org-fr.pdf"], "no other file is written");
}
