// Each main screen at 1280×800: welcome, dashboard, objectives, indicators, data entry,
// client protection, action plans, alignment, decision log, sync, reports, settings. Written to docs/screenshots/ only with UPDATE_SCREENSHOTS=1
// (`make screenshots`), else to target/e2e/screens/.
export const title = "screenshots of the main screens";

export default async function (t) {
  await t.open();
  await t.shown("open-demo");
  await t.screen("welcome");
  await t.click("open-demo");
  await t.text(["tile-par30", "tile-value"], (s) => /\d/.test(s), 30000);
  await t.screen("dashboard");

  // Each page and an element that shows it has loaded its data.
  const pages = [
    ["objectives", "objective-item"],
    ["indicators", null],
    ["entry", "cell-glp"],
    ["assessments", "practice-code"],
    ["actions", "action-row"],
    ["alignment", "alignment-cell"],
    ["decisions", "decision-row"],
    ["sync", "sync-role"],
    ["reports", null],
    ["settings", "settings-language"],
  ];
  for (const [page, ready] of pages) {
    await t.nav(page);
    if (ready) await t.shown(ready);
    else await t.sleep(700);
    await t.screen(page === "entry" ? "data-entry" : page);
  }
}
