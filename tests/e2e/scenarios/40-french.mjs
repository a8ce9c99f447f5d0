// Switch to French in the settings: labels are translated at once, numbers use the French
// format (decimal comma), and the choice survives a restart.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

export const title = "French: translated labels, decimal comma, kept after restart";

export default async function (t) {
  t.env.prepareDemo();
  const par30 = t.demo("--json", "indicators", "--period", "2026-Q3").find((i) => i.code === "par30");
  const want = t.fmtPercent(par30.value, "fr"); // "3,59 %"
  assert.match(want, /^\d+,\d\d %$/);

  await t.open();
  await t.text("nav-dashboard", "Dashboard", 20000);
  await t.nav("settings");
  await t.set("settings-language", "fr");
  await t.text("nav-dashboard", "Tableau de bord");
  await t.text("nav-settings", "Paramètres");
  const notice = await t.$("notice");
  if (await notice.isExisting()) t.log(`notice: "${await notice.getText()}"`);

  await t.nav("dashboard");
  const got = await t.text(["tile-par30", "tile-value"], want, 15000);
  t.log(`PAR30 in French: "${got}"`);

  const settings = JSON.parse(readFileSync(t.env.settingsFile, "utf8"));
  assert.equal(settings.ui_language, "fr", "settings.json keeps the language");
  await t.restart();
  await t.text("nav-dashboard", "Tableau de bord", 20000);
  await t.text(["tile-par30", "tile-value"], want, 15000);
}
