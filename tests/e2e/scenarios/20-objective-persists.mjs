// Create an objective (unique title, practice, dimension, dates, one indicator) → it is listed →
// restart the app on the same folders → it is still listed (and the CLI sees it).
import assert from "node:assert/strict";

export const title = "create an objective → listed → restart → still listed";

export default async function (t) {
  t.env.prepareDemo();
  await t.open();
  await t.shown("nav-objectives", 20000);
  await t.nav("objectives");
  await t.click("objective-new");

  const stamp = Date.now().toString(36);
  const objTitle = `E2E objective ${stamp}`;
  await t.set("obj-title", objTitle);
  await t.set("obj-description", "Created by the end-to-end test.");
  const practice = await t.selectFirst("obj-practice");
  const dimension = await t.selectFirst("obj-dimension");
  await t.set("obj-owner", "E2E tester");
  await t.set("obj-start", "2026-01-01");
  await t.set("obj-end", "2027-12-31");
  await t.set("obj-add-indicator", "par30");
  await t.click("obj-add-indicator-btn");
  t.log(`objective "${objTitle}" practice ${practice}, dimension ${dimension}`);
  await t.click("objective-save");

  const listed = async () => {
    try {
      await t.browser.waitUntil(
        async () => {
          for (const el of await t.$$("objective-item")) if ((await el.getText()).includes(objTitle)) return true;
          return false;
        },
        { timeout: 10000 },
      );
    } catch {
      throw new Error(`no objective-item shows "${objTitle}"${await errorText(t)}`);
    }
  };
  await listed();

  const saved = t.demo("--json", "objective", "list").find((o) => o.title === objTitle);
  assert.ok(saved, "the CLI lists the new objective");
  assert.equal(saved.start_date, "2026-01-01");
  assert.equal(saved.end_date, "2027-12-31");
  assert.deepEqual(saved.indicators.map((i) => i.indicator), ["par30"]);

  await t.restart();
  await t.shown("nav-objectives", 20000);
  await t.nav("objectives");
  await listed();
}

async function errorText(t) {
  const e = await t.$("objective-error");
  return (await e.isExisting()) ? ` (objective-error: "${await e.getText()}")` : "";
}
