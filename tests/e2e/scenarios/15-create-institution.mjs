// First launch → the welcome screen in French → create an institution: a field error first
// (a two-letter currency), then the institution is created in the default database (in the
// scenario's XDG data folder) and the window opens on it, still in French.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const title = "first launch → welcome in French → create an institution";

export default async function (t) {
  await t.open();
  await t.set("welcome-language", "fr");
  await t.text("create-submit", "Créer");

  const name = "Coopérative d'épargne E2E";
  await t.set("create-name", name);
  await t.set("create-currency", "XO");
  await t.click("create-submit");
  const err = await t.text("welcome-error");
  t.log(`currency "XO": "${err}"`);
  assert.match(err, /^Une valeur saisie n'est pas valable\. Détail/, "the core's refusal starts in the user's language");
  assert.ok(!(await (await t.$("org-name")).isExisting()), "still on the welcome screen");

  await t.set("create-currency", "XOF");
  await t.click("create-submit");
  await t.text("org-name", name, 20000);
  await t.text("nav-dashboard", "Tableau de bord");

  const settings = JSON.parse(readFileSync(t.env.settingsFile, "utf8"));
  assert.equal(settings.last_db, join(t.env.dataHome, "mizani", "mizani.sqlite"), "settings remember the new database");
  const report = t.cli("--db", settings.last_db, "--json", "check");
  t.log(`mizani check: ${JSON.stringify(report).slice(0, 100)}`);
}
