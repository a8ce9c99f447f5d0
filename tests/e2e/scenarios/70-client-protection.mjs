// Practice 2 in the real app: start a self-assessment, answer a few practices (one with
// evidence, one "No", one by keyboard), turn the "No" into an action due in the past → the CLI
// sees the answers and the overdue action, the dashboard shows it under "needs attention", and
// the board pack written from the Reports page lists it (pdftotext).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fakeViewer } from "../lib.mjs";

export const title = "self-assessment: answer practices, action from a No → dashboard and PDF";

export default async function (t) {
  t.env.prepareDemo();
  fakeViewer(t.env);
  await t.open();
  await t.shown("nav-assessments", 20000);
  await t.nav("assessments");
  // The demo's most recent assessment opens first.
  await t.shown("practice-code", 20000);

  const stamp = Date.now().toString(36);
  const name = `E2E assessment ${stamp}`;
  await t.click("assessment-new");
  await t.set("assessment-new-title", name);
  await t.set("assessment-new-date", "2026-11-20");
  await t.set("assessment-new-assessor", "E2E tester");
  await t.click("assessment-new-save");
  await t.text("assessment-title", (s) => s.includes(name), 10000);

  // 1: Yes, with evidence.
  const first = (await t.text("practice-code")).trim();
  await t.set("practice-evidence", "Board minutes of 2026-10-12");
  await t.click("answer-yes");
  await t.text("assessment-progress", /^\D*1\D/, 10000);
  // 2: No → an action, due in the past so that it is overdue.
  await t.click("practice-next");
  await t.text("practice-code", (s) => s.trim() !== first);
  const second = (await t.text("practice-code")).trim();
  await t.click("answer-no");
  await t.text("assessment-progress", /^\D*2\D/, 10000);
  const action = `E2E action ${stamp}`;
  await t.click("action-create");
  await t.set("action-description", action);
  await t.set("action-owner", "Compliance officer");
  await t.set("action-due", "2026-11-01");
  await t.click("action-save");
  await t.text("practice-actions", (s) => s.includes(action), 10000);
  // 3: Partially, by keyboard (focus on the page, not in a text field).
  await t.click("practice-next");
  await t.text("practice-code", (s) => s.trim() !== second);
  const third = (await t.text("practice-code")).trim();
  await t.browser.keys(["p"]);
  await t.text("assessment-progress", /^\D*3\D/, 10000);
  t.log(`answered ${first} (yes), ${second} (no → action), ${third} (partially, key P)`);

  // The CLI reads the same database.
  const list = t.demo("--json", "assessment", "list");
  const mine = list.find((a) => a.title === name);
  assert.ok(mine, "the CLI lists the new assessment");
  const view = t.demo("--json", "assessment", "score", String(mine.id));
  assert.ok(view, "and scores it");
  const actions = t.demo("--json", "action", "list");
  const a = actions.find((x) => x.description === action);
  assert.ok(a, "the CLI lists the action");
  assert.equal(a.practice, second, "linked to the practice answered No");
  assert.equal(a.status, "open");
  assert.ok(a.overdue, "and overdue (due 2026-11-01)");

  // The dashboard: needs attention.
  await t.nav("dashboard");
  await t.browser.waitUntil(
    async () => {
      for (const el of await t.$$("dash-overdue-action")) if ((await el.getText()).includes(action)) return true;
      return false;
    },
    { timeout: 20000, timeoutMsg: `the dashboard lists no overdue action "${action}"` },
  );

  // The board pack lists it among open and overdue actions.
  await t.nav("reports");
  await t.click("report-create");
  const path = (await t.text("report-path", (s) => s.endsWith(".pdf"), 60000)).trim();
  const text = execFileSync("pdftotext", [path, "-"], { encoding: "utf8" }).replace(/\s+/g, " ");
  assert.ok(text.includes(action), `the board pack lists the action "${action}"`);
  t.log(`PDF ${path.split("/").pop()} lists the action`);
}
