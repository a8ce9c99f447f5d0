// Data entry for a branch and month without data (N04, 2026-09 in the demo): an invalid cell
// blocks the whole save (error next to the cell, nothing written), fixing it saves, and the
// dashboard then shows the new value (PAR30 2026-Q3 goes from 11 to 12 reporting branches).
import assert from "node:assert/strict";

export const title = "data entry: invalid cell blocks the save; fixed → saved → dashboard changes";

const explainN04 = (t) => t.demo("--json", "explain", "par30", "--period", "2026-09", "--scope", "branch:N04");
const par30Q3 = (t) => t.demo("--json", "indicators", "--period", "2026-Q3").find((i) => i.code === "par30");

export default async function (t) {
  t.env.prepareDemo();
  const before = par30Q3(t);
  assert.equal(before.reported, 11, "demo: 11 of 12 branches report PAR30 for 2026-Q3");
  assert.equal(explainN04(t).value, null, "demo: no PAR30 data for N04 in 2026-09");

  await t.open();
  await t.text(["tile-par30", "tile-value"], t.fmtPercent(before.value, "en"), 20000);
  await t.text("tile-par30", /\b11 of 12 branches reported\b/);

  await t.nav("entry");
  await t.set("entry-branch", "N04");
  await t.set("entry-month", "2026-09");
  // The grid shows N04's August figures beside the empty September cells (this also makes sure
  // the N04 grid has replaced the default one before typing).
  const aug = t.demo("--json", "explain", "par30", "--period", "2026-08", "--scope", "branch:N04");
  await t.text("prev-glp", t.fmtNumber(aug.denominator, 0, "en"));
  await t.browser.waitUntil(async () => (await (await t.$("cell-glp")).getValue()) === "", {
    timeout: 5000,
    timeoutMsg: "cell-glp is not empty for N04 2026-09",
  });

  // GLP 370 000 000, PAR30 balance 37 000 000 → the branch's PAR30 is 10 %.
  await t.set("cell-glp", "370000000");
  await t.set("cell-par30_balance", "abc");
  await t.click("entry-save");
  const cellErr = await t.text("cell-error-par30_balance");
  t.log(`cell-error-par30_balance: "${cellErr}"`);
  const entryErr = await t.$("entry-error");
  if (await entryErr.isExisting()) t.log(`entry-error: "${await entryErr.getText()}"`);
  await t.sleep(500);
  const blocked = explainN04(t);
  assert.equal(blocked.value, null, "nothing saved while a cell is invalid");
  assert.ok(blocked.contributions[0].missing.includes("glp"), "not even the valid GLP cell was saved");

  await t.set("cell-par30_balance", "37000000");
  await t.click("entry-save");
  await t.browser.waitUntil(async () => explainN04(t).value !== null, {
    timeout: 10000,
    timeoutMsg: "the fixed entry was not saved (CLI explain still null)",
  });
  assert.ok(Math.abs(explainN04(t).value - 10) < 1e-9, "N04 2026-09 PAR30 = 10 %");
  const errGone = await t.$("cell-error-par30_balance");
  assert.ok(!(await errGone.isExisting()) || (await errGone.getText()).trim() === "", "the cell error is gone");

  const after = par30Q3(t);
  assert.equal(after.reported, 12, "12 of 12 branches report PAR30 for 2026-Q3 now");
  assert.notEqual(t.fmtPercent(after.value), t.fmtPercent(before.value));
  await t.nav("dashboard");
  const tile = await t.text(["tile-par30", "tile-value"], t.fmtPercent(after.value, "en"), 15000);
  await t.text("tile-par30", /\b12 of 12 branches reported\b/);
  t.log(`PAR30 2026-Q3: ${t.fmtPercent(before.value)} (11/12) → ${tile} (12/12)`);
}
