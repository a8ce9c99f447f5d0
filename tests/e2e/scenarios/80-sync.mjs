// Head office ↔ branch site through a sync folder. The demo in the app is head office (the app
// syncs its folder every second here). On the Sync page: the role is "Head office" with the
// CLI's fingerprint; enrolling a branch site for N01 writes the enrolment file to sites/ beside
// the database without a dialog; the sync folder is set by typing its path. Then the branch,
// with the CLI on a second database: joins with that file, imports a new PAR30 balance for N01
// 2026-09 (the branch's PAR30 goes from 7.31 % to 5 %) and syncs the folder. The app imports
// the branch's package by itself: the dashboard (month 2026-09, branch N01) shows the new
// figure without navigating, the CLI on head office's database computes it, the package is
// gone from the folder and an acknowledgement package for the branch is there; once the
// branch syncs again, nothing is pending at either site. Last, a second branch site (S01)
// joins through the welcome screen: a missing file is refused with the reason, the enrolment
// file opens the app as a branch site that enters S01 only.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const title = "sync: enrol a branch site on the Sync page; its package arrives through the folder (dashboard, CLI, acknowledgement); join from the welcome screen";

const packages = (dir) => readdirSync(dir).filter((f) => f.endsWith(".mizpkg"));

export default async function (t) {
  t.env.prepareDemo();
  t.env.env.MIZANI_SYNC_INTERVAL_MS = "1000";
  const box = join(t.env.dir, "sync-box");
  mkdirSync(box);
  const brDb = join(t.env.dir, "branch-site", "branch.sqlite");
  mkdirSync(dirname(brDb));
  const br = (...a) => t.cli("--db", brDb, ...a);
  const par30N01 = (cli) => cli("--json", "explain", "par30", "--period", "2026-09", "--scope", "branch:N01");

  const before = par30N01(t.demo);
  assert.ok(before.value > 6, `the demo's PAR30 for N01 in 2026-09 is ${before.value}`);
  const balance = Math.round(before.denominator * 0.05); // PAR30 of about 5 %
  const after = (balance / before.denominator) * 100;
  assert.notEqual(t.fmtPercent(after), t.fmtPercent(before.value));
  const hq = t.demo("--json", "sync", "status").site;
  assert.equal(hq.role, "hq", "the demo is head office");

  await t.open();
  await t.text("nav-dashboard", "Dashboard", 20000);
  await t.nav("sync");
  await t.text("sync-role", /^head office$/i);
  await t.text("sync-fingerprint", hq.fingerprint);
  assert.equal((await t.$$("sync-peer-row")).length, 0, "no branch site yet");

  // Enrol a branch site for N01: the file goes to sites/ beside the database.
  await t.click("enrol-branch-N01");
  await t.set("enrol-name", "Kalanga office");
  await t.click("enrol-create");
  const enrolment = (await t.text("enrol-path", (s) => s.trim().endsWith(".mizenrol"), 20000)).trim();
  assert.equal(enrolment, join(dirname(t.env.demoDb), "sites", "enrol-N01.mizenrol"));
  assert.ok(existsSync(enrolment), `the enrolment file exists: ${enrolment}`);
  await t.browser.waitUntil(async () => (await t.$$("sync-peer-row")).length === 1, {
    timeout: 10000,
    timeoutMsg: "the new branch site is not listed",
  });
  assert.match(await t.text("sync-peer-row", /Kalanga office/), /N01/);
  assert.equal(await (await t.$("enrol-branch-N01")).isEnabled(), false, "N01 cannot be enrolled twice");
  const site = t.demo("--json", "sync", "status").peers.find((p) => p.name === "Kalanga office");
  assert.ok(site && site.role === "branch" && site.branches.join() === "N01", "the CLI lists the branch site");

  // The sync folder, typed and saved.
  await t.set("sync-folder-input", box);
  await t.click("sync-folder-save");
  await t.browser.waitUntil(() => t.demo("--json", "sync", "status").sync_folder === box, {
    timeout: 10000,
    timeoutMsg: "the sync folder was not saved",
  });

  // The branch: joins, enters its new figure, syncs through the folder.
  br("site", "join", enrolment);
  const brSite = br("--json", "sync", "status").site;
  assert.equal(brSite.uid, site.uid, "the branch database is the enrolled site");
  const csv = join(t.env.dir, "n01-2026-09.csv");
  writeFileSync(csv, `branch,period,element,value\nN01,2026-09,par30_balance,${balance}\n`);
  br("import", csv);
  assert.ok(Math.abs(par30N01(br).value - after) < 1e-9, "the branch computes its new PAR30");

  // Head office's dashboard on the branch and month, before the package arrives.
  await t.nav("dashboard");
  await t.select("period-kind", "month");
  await t.select("period", "2026-09");
  await t.select("scope", "branch:N01");
  await t.text(["tile-par30", "tile-value"], t.fmtPercent(before.value), 20000);

  br("sync", "folder", box);
  const sent = packages(box).filter((f) => f.startsWith(`mizani-${site.uid}-to-${hq.uid}-`));
  assert.equal(sent.length, 1, `the branch wrote its package (folder: ${packages(box).join(", ")})`);

  // The app imports it by itself and the dashboard shows the branch's figure.
  const shown = await t.text(["tile-par30", "tile-value"], t.fmtPercent(after), 20000);
  assert.ok(Math.abs(par30N01(t.demo).value - after) < 1e-9, "the CLI on head office's database sees the new value");
  t.log(`N01 PAR30 2026-09 at head office: ${t.fmtPercent(before.value)} → ${shown}`);
  await t.browser.waitUntil(
    () => !existsSync(join(box, sent[0])) && packages(box).some((f) => f.startsWith(`mizani-${hq.uid}-to-${site.uid}-`)),
    { timeout: 15000, timeoutMsg: `the package was not removed or no acknowledgement was written (folder: ${packages(box).join(", ")})` },
  );

  // The Sync page: something received from the branch, nothing pending for it.
  await t.nav("sync");
  await t.text("sync-peer-pending", "0");
  await t.text("sync-peer-row", /Kalanga office/);
  const cells = await t.browser.execute((r) => [...r.cells].map((c) => c.innerText), await t.$("sync-peer-row"));
  t.log(`peer row: ${cells.map((c) => c.replace(/\s+/g, " ")).join(" | ")}`);
  assert.match(cells[3], /\d/, "last sent is shown");
  assert.match(cells[4], /\d/, "last received is shown");
  await t.click("sync-now");
  t.log(`sync now: ${(await t.text("sync-now-result")).replace(/\s+/g, " ")}`);
  assert.equal((await t.$$("sync-conflict-row")).length, 0, "no conflict");
  await t.screen("sync");

  // The branch takes the acknowledgement: nothing pending at either site.
  br("sync", "folder", box);
  const brStatus = br("--json", "sync", "status");
  assert.equal(brStatus.peers.find((p) => p.role === "hq").pending, 0, "nothing pending at the branch");
  assert.equal(t.demo("--json", "sync", "status").peers.find((p) => p.uid === site.uid).pending, 0, "nothing pending at head office");

  // A second branch site joins with the app, from the welcome screen.
  await t.env.close();
  const enrolS01 = join(t.env.dir, "enrol-S01.mizenrol");
  t.demo("site", "enrol", "S01", "--name", "Coast office", "-o", enrolS01);
  rmSync(t.env.settingsFile);
  await t.open();
  await t.set("join-file", join(t.env.dir, "missing.mizenrol"));
  await t.click("join-submit");
  t.log(`join, missing file: ${await t.text("join-error", /missing\.mizenrol/)}`);
  const coastDb = join(t.env.dir, "coast.sqlite");
  await t.set("join-file", enrolS01);
  await t.set("join-db", coastDb);
  await t.click("join-submit");
  await t.nav("sync");
  await t.text("sync-role", /^branch site$/i);
  await t.text("sync-branches", "S01");
  assert.equal((await t.$$("enrol-create")).length, 0, "a branch site enrols no one");
  assert.equal(t.cli("--db", coastDb, "--json", "sync", "status").site.name, "Coast office");
  await t.nav("entry");
  await t.text("branch-site-notice", /S01/);
  const offered = await t.browser.execute((e) => [...e.options].map((o) => o.value), await t.shown("entry-branch"));
  assert.deepEqual(offered, ["S01"], "a branch site enters its own branch only");
}
