// Encryption at rest in the real app: Settings → encrypt the demo with a passphrase → the file
// is no longer readable by sqlite3 nor by the CLI without the passphrase; restart → the welcome
// screen asks for the passphrase; a wrong one is refused with the reason; the right one opens
// the dashboard with the same figures.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

export const title = "encryption: encrypt in Settings, restart, passphrase asked, wrong refused, right opens";

const PASS = "mission before margin";

export default async function (t) {
  t.env.prepareDemo();
  const par30 = t.demo("--json", "indicators", "--period", "2026-Q3").find((i) => i.code === "par30").value;
  await t.open();
  await t.shown("nav-settings", 20000);
  await t.nav("settings");
  await t.shown("enc-status");
  await t.set("enc-passphrase", PASS);
  await t.set("enc-confirm", "something else");
  await t.click("enc-submit");
  await t.shown("enc-confirm");
  assert.equal(await (await t.$("enc-done")).isExisting(), false, "differing passphrases encrypt nothing");
  await t.set("enc-confirm", PASS);
  await t.click("enc-submit");
  const done = await t.text("enc-done", /backup/i, 60000);
  t.log(`encrypted: "${done.replace(/\s+/g, " ").trim()}"`);
  await t.text("enc-status", /encrypted:/, 10000);

  // Outside the app: unreadable without the passphrase.
  let sqliteFailed = false;
  try {
    execFileSync("sqlite3", [t.env.demoDb, "SELECT count(*) FROM branch;"], { stdio: "pipe" });
  } catch {
    sqliteFailed = true;
  }
  assert.ok(sqliteFailed, "sqlite3 cannot read the encrypted database");
  assert.throws(() => t.demo("branch", "list"), /encrypted/, "the CLI needs the passphrase");
  t.env.env.MIZANI_PASSPHRASE = PASS;
  const again = t.demo("--json", "indicators", "--period", "2026-Q3").find((i) => i.code === "par30").value;
  assert.equal(again, par30, "with it, the same PAR30");
  delete t.env.env.MIZANI_PASSPHRASE;

  // Restart: the passphrase is asked.
  await t.restart();
  await t.shown("unlock-panel", 20000);
  await t.set("unlock-passphrase", "margin before mission");
  await t.click("unlock-submit");
  const err = await t.text("unlock-error", /passphrase/, 10000);
  t.log(`wrong passphrase: "${err}"`);
  await t.set("unlock-passphrase", PASS);
  await t.click("unlock-submit");
  await t.text(["tile-par30", "tile-value"], (s) => /\d/.test(s), 30000);
}
