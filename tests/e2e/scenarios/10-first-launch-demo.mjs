// First launch → open the demo → the dashboard's PAR30 tile for the default period (the latest
// quarter, 2026-Q3) shows exactly what the CLI computes, formatted as the UI does in English;
// the explain dialog shows the numerator and denominator.
import assert from "node:assert/strict";

export const title = "first launch → open demo → PAR30 tile equals the CLI; explain dialog";

export default async function (t) {
  await t.open();
  // A fresh XDG environment: no settings, so the welcome screen.
  await t.shown("create-name");
  await t.shown("create-currency");
  await t.click("open-demo");
  await t.shown("nav-dashboard", 30000);
  const org = await t.text("org-name");
  assert.match(org, /Kora/, "the header names the demo institution");

  // Practices 2 and 5: the demo's overdue action and the decision due for review stand out.
  await t.shown("dash-attention", 15000);
  const overdue = await t.browser.$$('[data-testid="dash-overdue-action"]');
  assert.ok(overdue.length >= 1, `the demo's overdue action is on the dashboard (found ${overdue.length})`);
  const due = await t.browser.$$('[data-testid="dash-decision-due"]');
  assert.ok(due.length >= 1, `the demo's decision due for review is on the dashboard (found ${due.length})`);

  const period = await (await t.shown("period")).getValue();
  assert.equal(period, "2026-Q3", "the default period is the latest quarter");

  const cli = t.demo("--json", "indicators", "--period", "2026-Q3").find((i) => i.code === "par30");
  assert.ok(cli && cli.value !== null, "the CLI computes PAR30 for 2026-Q3");
  const want = t.fmtPercent(cli.value, "en");
  const got = await t.text(["tile-par30", "tile-value"], (s) => s.trim() !== "" && s.trim() !== "—", 15000);
  assert.equal(got.trim(), want, "PAR30 tile = CLI value");
  t.log(`PAR30 2026-Q3: tile "${got.trim()}" = CLI ${cli.value}`);

  // Explain: the tile's value opens a dialog with numerator, denominator and each branch's share
  // (numbers with 2 decimals, as the CLI's `explain` prints them).
  await (await t.shown(["tile-par30", "tile-value"])).click();
  await t.shown("explain-dialog");
  const num = await t.text("explain-numerator");
  const den = await t.text("explain-denominator");
  t.log(`explain: numerator "${num}", denominator "${den}"`);
  assert.equal(num.trim(), t.fmtNumber(cli.numerator, 2, "en"), "numerator = CLI");
  assert.equal(den.trim(), t.fmtNumber(cli.denominator, 2, "en"), "denominator = CLI");
  const branches = await t.browser.$$('[data-testid="explain-dialog"] [data-testid^="explain-branch-"]');
  assert.equal(branches.length, cli.expected, `the dialog lists every branch (found ${branches.length})`);
  await t.browser.keys("Escape");
  await (await t.$("explain-dialog")).waitForExist({ reverse: true, timeout: 5000, timeoutMsg: "Escape did not close the explain dialog" });
}
