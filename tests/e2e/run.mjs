// Runs the end-to-end scenarios (scenarios/*.mjs, in name order) against the real app:
// each scenario gets a fresh temporary XDG environment, its own tauri-driver and app session.
//
//   node tests/e2e/run.mjs [name-filter…]      (under Xvfb: see `make e2e`)
//
// A scenario module exports `title` and a default `async (t) => {}`; `t` is described in
// README.md. On failure the window is saved to target/e2e/<scenario>.png. The last line is
// `e2e: N passed, N failed`; the exit code is non-zero on any failure.
import { readdirSync, readFileSync, mkdirSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, basename } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, APP, CLI, Env, withTimeout, tid, shown, textOf, fmtPercent, fmtNumber, sleep } from "./lib.mjs";

const SCENARIO_TIMEOUT = Number(process.env.E2E_SCENARIO_TIMEOUT || 120) * 1000;
const UPDATE = process.env.UPDATE_SCREENSHOTS === "1";
const OUT = join(ROOT, "target/e2e");
const SHOTS = join(ROOT, "docs/screenshots");
mkdirSync(OUT, { recursive: true });

const filters = process.argv.slice(2);
const dir = join(ROOT, "tests/e2e/scenarios");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".mjs"))
  .sort()
  .filter((f) => !filters.length || filters.some((x) => f.includes(x)));

let passed = 0;
let failed = 0;
const failures = [];

function finish() {
  if (failures.length) console.log(`\nfailed: ${failures.join(", ")}`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

for (const f of [APP, CLI]) {
  if (!existsSync(f)) {
    console.log(`e2e: missing ${f} (build it first: make e2e)`);
    failed = files.length || 1;
    finish();
  }
}

let current = null;
let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    if (interrupted) return;
    interrupted = true;
    console.log(`\ne2e: ${sig} (time limit or ^C) during ${current?.name ?? "setup"}: ending its app and tauri-driver`);
    if (current) {
      failed++;
      failures.push(`${current.name} (interrupted)`);
      await current.dispose().catch(() => {});
    }
    finish();
  });
}

/** Fires what a user's choice fires, so that Svelte's bindings see it. */
async function setByScript(browser, el, value) {
  await browser.execute(
    (e, v) => {
      e.value = v;
      e.dispatchEvent(new Event("input", { bubbles: true }));
      e.dispatchEvent(new Event("change", { bubbles: true }));
    },
    el,
    value,
  );
}

async function selectValue(browser, id, value) {
  const el = await shown(browser, tid(id));
  await browser.waitUntil(async () => (await el.$(`option[value="${value}"]`)).isExisting(), {
    timeout: 10000,
    timeoutMsg: `${id} has no option ${value}`,
  });
  await el.selectByAttribute("value", value);
  // WebKitWebDriver may select without firing change: make sure the page saw it.
  if ((await el.getValue()) !== value) await setByScript(browser, el, value);
  return el;
}

/** Saves the window: WebDriver screenshot, else the whole Xvfb screen. */
async function capture(env, file) {
  if (env.browser) {
    try {
      await withTimeout(env.browser.saveScreenshot(file), 10000, "screenshot");
      return file;
    } catch {
      /* fall back to the X display */
    }
  }
  if (process.env.DISPLAY) {
    try {
      execFileSync("import", ["-window", "root", file], { timeout: 10000, stdio: "ignore" });
      return file;
    } catch {
      /* nothing to save */
    }
  }
  return null;
}

for (const file of files) {
  const name = basename(file, ".mjs");
  const mod = await import(pathToFileURL(join(dir, file)).href);
  const env = new Env(name);
  current = env;
  const log = [];
  const t = {
    name,
    env,
    get browser() {
      return env.browser;
    },
    /** Starts the app (a new session) in this scenario's environment. */
    open: () => env.open(),
    /** Quits the app and starts it again on the same folders. */
    restart: () => env.restart(),
    /** The CLI on the demo database: t.demo("--json", "indicators", "--period", "2026-Q3"). */
    demo: (...a) => env.demo(...a),
    cli: (...a) => env.cli(...a),
    $: (...ids) => env.browser.$(tid(...ids)),
    $$: (...ids) => env.browser.$$(tid(...ids)),
    shown: (ids, timeout) => shown(env.browser, Array.isArray(ids) ? tid(...ids) : tid(ids), timeout),
    text: (ids, ok, timeout) => textOf(env.browser, Array.isArray(ids) ? tid(...ids) : tid(ids), ok, timeout),
    click: async (id, timeout) => {
      const el = await shown(env.browser, tid(id), timeout);
      await el.waitForClickable({ timeout: timeout ?? 10000 });
      await el.click();
      return el;
    },
    /** Goes to a page with the side navigation and waits until it is the current one. */
    nav: async (page) => {
      const el = await shown(env.browser, tid(`nav-${page}`));
      await el.click();
      await env.browser.waitUntil(async () => (await el.getAttribute("aria-current")) === "page", {
        timeout: 5000,
        timeoutMsg: `nav-${page} did not become the current page`,
      });
    },
    /** Sets an input's value (clears it first) and fires input/change like typing would. */
    type: async (id, value) => {
      const el = await shown(env.browser, tid(id));
      await el.clearValue();
      if (value !== "") await el.setValue(value);
      return el;
    },
    /** Selects an <option> by its value in a <select>. */
    select: (id, value) => selectValue(env.browser, id, value),
    /** Selects the first option with a value; returns that value. */
    selectFirst: async (id) => {
      const el = await shown(env.browser, tid(id));
      let value = null;
      await env.browser.waitUntil(
        async () => {
          value = await env.browser.execute(
            (e) => [...e.options].find((o) => o.value !== "" && !o.disabled)?.value ?? null,
            el,
          );
          return value !== null;
        },
        { timeout: 10000, timeoutMsg: `${id} offers no option` },
      );
      await selectValue(env.browser, id, value);
      return value;
    },
    /**
     * Fills a field whatever its kind: <select> by option value, date/month inputs through
     * their value (WebKit's pickers take no keys), other inputs by typing.
     */
    set: async (id, value) => {
      const el = await shown(env.browser, tid(id));
      const tag = (await el.getTagName()).toLowerCase();
      if (tag === "select") return selectValue(env.browser, id, value);
      const type = ((await el.getAttribute("type")) || "text").toLowerCase();
      if (["date", "month", "week", "time", "datetime-local"].includes(type) || value === "") {
        await setByScript(env.browser, el, value);
      } else {
        await el.clearValue();
        await el.setValue(value);
      }
      return el;
    },
    fmtPercent,
    fmtNumber,
    sleep,
    log: (...a) => log.push(a.join(" ")),
    /**
     * A main screen at 1280×800: written to docs/screenshots/<name>.png only with
     * UPDATE_SCREENSHOTS=1 (so `make test` leaves the tree clean), else to target/e2e/screens/.
     */
    screen: async (shot) => {
      await sleep(300); // let transitions and charts settle
      const d = UPDATE ? SHOTS : join(OUT, "screens");
      mkdirSync(d, { recursive: true });
      const f = join(d, `${shot}.png`);
      await env.browser.saveScreenshot(f);
      const png = readFileSync(f);
      const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
      log.push(`screenshot ${f.replace(ROOT + "/", "")} (${w}×${h})`);
      if (w !== 1280 || h !== 800) throw new Error(`${shot}.png is ${w}×${h}, not 1280×800`);
    },
  };

  const t0 = Date.now();
  let error = null;
  try {
    await withTimeout(mod.default(t), SCENARIO_TIMEOUT, name);
  } catch (e) {
    error = e;
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (interrupted) await new Promise(() => {}); // the signal handler reports and exits
  if (error) {
    failed++;
    failures.push(name);
    const shot = await capture(env, join(OUT, `${name}.png`));
    console.log(`FAIL ${name} (${secs} s): ${mod.title ?? ""}`);
    for (const l of log) console.log(`     ${l}`);
    const stack = String(error?.stack || error)
      .split("\n")
      .filter((l, i) => i === 0 || !l.includes("node_modules"))
      .slice(0, 5);
    console.log(`     ${stack.join("\n     ")}`);
    if (shot) console.log(`     screenshot: ${shot.replace(ROOT + "/", "")}`);
    if (process.env.E2E_VERBOSE === "1" && env.driverLog?.length) console.log(env.driverLog.join("").slice(-3000));
  } else {
    passed++;
    console.log(`ok   ${name} (${secs} s): ${mod.title ?? ""}`);
    for (const l of log) console.log(`     ${l}`);
  }
  await env.dispose();
  current = null;
}
finish();
