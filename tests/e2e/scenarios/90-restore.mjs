// Backups and restore in the app. The demo, with automatic backups every 1.5 s (instead of
// 15 min): Settings → Backups lists the automatic backup the app took by itself; "Back up now"
// adds a manual one; the institution is renamed; the manual backup then shows one change since
// (the CLI agrees); Restore… asks in the page, and once confirmed the window shows the old name
// again and the CLI's database is the backup's. Then the app is closed, the database file is
// damaged (bytes overwritten in its middle) and the app started again: it shows the damaged-
// database screen offering the newest good backup; Restore brings the dashboard back.
import assert from "node:assert/strict";
import { closeSync, openSync, statSync, writeSync } from "node:fs";

export const title = "backups: automatic and manual in Settings; restore undoes a change; a damaged database offers its newest good backup";

/** The backup-row whose kind reads `kind` (the newest first). */
async function rowOf(t, kind) {
  let found = null;
  await t.browser.waitUntil(
    async () => {
      for (const row of await t.$$("backup-row")) {
        const k = await t.browser.execute((r) => r.querySelector('[data-testid="backup-kind"]').innerText, row);
        if (k.trim() === kind) {
          found = row;
          return true;
        }
      }
      return false;
    },
    { timeout: 20000, timeoutMsg: `no ${kind} backup is listed` },
  );
  return found;
}

const sinceOf = (t, row) => t.browser.execute((r) => r.querySelector('[data-testid="backup-since"]').innerText.trim(), row);

export default async function (t) {
  t.env.prepareDemo();
  t.env.env.MIZANI_BACKUP_INTERVAL_MS = "1500";
  assert.equal(t.demo("--json", "backup", "list").backups.length, 0, "the demo starts without backups");

  await t.open();
  const name = (await t.text("org-name")).trim();
  await t.nav("settings");

  // The app backs up by itself (no backup existed yet).
  await rowOf(t, "Automatic");
  t.log(`automatic backup listed: ${t.demo("--json", "backup", "list").backups.map((b) => b.kind).join(", ")}`);

  // A manual backup, then a change.
  await t.click("backup-now");
  let manual = await rowOf(t, "Manual");
  assert.equal(await sinceOf(t, manual), "none", "nothing changed since the manual backup");
  const renamed = `${name} (renamed)`;
  await t.set("org-name-input", renamed);
  await t.click("org-save");
  await t.text("org-name", renamed);
  const listed = t.demo("--json", "backup", "list").backups;
  const m = listed.find((b) => b.kind === "manual");
  assert.equal(m.changes_since, 1, "the CLI counts one change since the manual backup");

  // The list shows it too (the page is read again).
  await t.nav("dashboard");
  await t.nav("settings");
  manual = await rowOf(t, "Manual");
  await t.browser.waitUntil(async () => /^1 change/.test(await sinceOf(t, manual)), {
    timeout: 10000,
    timeoutMsg: "the manual backup does not show one change since",
  });

  // Restore… asks in the page first. (A script click: the "Saved" notice may still cover
  // the bottom of the window.)
  const btn = await manual.$('[data-testid="backup-restore"]');
  await t.browser.execute((b) => {
    b.scrollIntoView({ block: "center" });
    b.click();
  }, btn);
  await t.shown("restore-panel");
  assert.match(await t.text("restore-panel"), /change made since will be undone/, "the confirmation says what is undone");
  await t.browser.execute((p) => {
    const main = p.closest("main");
    main.scrollTop += p.getBoundingClientRect().top - main.getBoundingClientRect().top - 80;
  }, await t.$("restore-panel"));
  await t.screen("backups");
  await t.click("restore-confirm");
  await t.text("org-name", name, 20000);
  await t.text("notice", /restored/i);
  const after = t.demo("--json", "backup", "list").backups;
  assert.equal(after.find((b) => b.kind === "manual").changes_since, 0, "the database is the manual backup again");
  assert.ok(after.length >= 3, `the replaced state is kept as a backup (${after.map((b) => b.kind).join(", ")})`);
  await t.shown("nav-settings");
  assert.equal((await (await t.$("org-name-input")).getValue()).trim(), name, "the settings form shows the restored name");

  // A newest manual backup (the restored state), then the app closes and the file is damaged.
  await t.click("backup-now");
  await t.browser.waitUntil(async () => t.demo("--json", "backup", "list").backups[0].kind === "manual", { timeout: 10000 });
  await t.env.close();
  t.demo("check"); // the last connection checkpoints the WAL into the file
  const size = statSync(t.env.demoDb).size;
  const fd = openSync(t.env.demoDb, "r+");
  writeSync(fd, Buffer.alloc(16384, 0xa5), 0, 16384, Math.floor(size / 2));
  closeSync(fd);

  await t.open();
  await t.shown("damaged-screen", 20000);
  assert.equal((await t.text("damaged-path")).trim(), t.env.demoDb);
  const offer = await t.text("damaged-offer");
  t.log(`damaged screen: ${offer.replace(/\s+/g, " ")}`);
  await t.click("damaged-restore");
  await t.text("org-name", name, 20000);
  await t.shown("nav-dashboard");
  assert.match(t.demo("check"), /^ok/, "the restored database passes the check");
  const kinds = t.demo("--json", "backup", "list").backups.map((b) => b.kind);
  t.log(`backups at the end: ${kinds.join(", ")}`);
}
