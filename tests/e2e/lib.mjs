// Shared machinery of the end-to-end tests and the app benchmark: an isolated environment per
// scenario (its own XDG data and config folders), a tauri-driver started with that environment
// (it hands its environment to WebKitWebDriver, which hands it to the app), WebdriverIO
// sessions on the real window, the `mizani` CLI on the same database, and clean-up of every
// process started here (by pid, never by name).
import { spawn, execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, appendFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const APP = resolve(process.env.MIZANI_APP || join(ROOT, "target/debug/mizani-app"));
export const CLI = resolve(process.env.MIZANI_CLI || join(ROOT, "target/debug/mizani"));
export const TAURI_DRIVER = process.env.TAURI_DRIVER || "tauri-driver";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Rejects with `what timed out` after `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Error(`${what}: timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/** Processes (pid, ppid) from /proc. */
function processTable() {
  const out = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (rest[0] === "Z") continue; // a zombie holds nothing
      out.push({ pid: Number(d), ppid: Number(rest[1]), pgrp: Number(rest[2]) });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** `pid` and all its descendants (living ones). */
export function processTree(pid) {
  const table = processTable();
  if (!table.some((p) => p.pid === pid)) return [];
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const p of table) if (p.ppid === tree[i]) tree.push(p.pid);
  return tree;
}

/** Living members of a process group. */
export function processGroup(pgrp) {
  return processTable()
    .filter((p) => p.pgrp === pgrp)
    .map((p) => p.pid);
}

export function exeOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
  } catch {
    return "";
  }
}

/** Resident memory of a process in KiB (VmRSS), or null when it is gone. */
export function rssKiB(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Proportional set size in KiB (shared pages split between the processes sharing them). */
export function pssKiB(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * An isolated environment: a temporary folder with data/ and config/ used as XDG_DATA_HOME and
 * XDG_CONFIG_HOME (the app keeps settings.json in config/mizani/, the demo in
 * data/mizani/demo.sqlite), and its own tauri-driver.
 */
export class Env {
  constructor(name) {
    this.name = name;
    this.dir = mkdtempSync(join(tmpdir(), `mizani-e2e-${name}-`));
    this.dataHome = join(this.dir, "data");
    this.configHome = join(this.dir, "config");
    mkdirSync(this.dataHome, { recursive: true });
    mkdirSync(this.configHome, { recursive: true });
    this.demoDb = join(this.dataHome, "mizani", "demo.sqlite");
    this.settingsFile = join(this.configHome, "mizani", "settings.json");
    this.env = {
      ...process.env,
      XDG_DATA_HOME: this.dataHome,
      XDG_CONFIG_HOME: this.configHome,
      // The default database of a new institution would go to XDG_DATA_HOME too.
      HOME: this.dir,
      MIZANI_USER: "e2e",
      // No accessibility bus under Xvfb: keeps GTK quiet and quick.
      NO_AT_BRIDGE: "1",
    };
    // Nothing from the developer's own setup: no start page, no database outside the folder.
    delete this.env.MIZANI_START_PAGE;
    delete this.env.MIZANI_DB;
    this.driver = null;
    this.browser = null;
  }

  /** Starts this environment's tauri-driver and waits for its /status. */
  async startDriver() {
    const port = await freePort();
    let nativePort = await freePort();
    while (nativePort === port) nativePort = await freePort();
    this.port = port;
    this.driverLog = [];
    // Its own process group, so that it, WebKitWebDriver and the app can be ended together.
    const child = spawn(TAURI_DRIVER, ["--port", String(port), "--native-port", String(nativePort)], {
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const keep = (b) => {
      this.driverLog.push(b.toString());
      if (this.driverLog.length > 200) this.driverLog.shift();
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    let exited = null;
    child.on("exit", (code, sig) => (exited = code ?? sig));
    child.on("error", (e) => (exited = e.message));
    this.driver = child;
    rememberPid(child.pid);
    const t0 = Date.now();
    for (;;) {
      if (exited !== null) throw new Error(`tauri-driver exited (${exited}): ${this.driverLog.join("")}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/status`);
        if (r.ok) break;
      } catch {
        /* not yet */
      }
      if (Date.now() - t0 > 15000) throw new Error(`tauri-driver did not answer /status in 15 s: ${this.driverLog.join("")}`);
      await sleep(50);
    }
  }

  /** A new WebdriverIO session: launches the app in this environment. */
  async open() {
    if (!this.driver) await this.startDriver();
    this.browser = await remote({
      hostname: "127.0.0.1",
      port: this.port,
      logLevel: process.env.E2E_LOG_LEVEL || "error",
      connectionRetryCount: 0,
      connectionRetryTimeout: 60000,
      waitforTimeout: 10000,
      waitforInterval: 50,
      capabilities: {
        browserName: "wry",
        "wdio:enforceWebDriverClassic": true,
        "tauri:options": { application: APP },
      },
    });
    return this.browser;
  }

  /** The app processes of this environment (found by its XDG folder in their environment). */
  appPids() {
    const pids = [];
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      if (exeOf(d) !== APP) continue;
      try {
        if (readFileSync(`/proc/${d}/environ`, "utf8").includes(`XDG_CONFIG_HOME=${this.configHome}\0`)) pids.push(Number(d));
      } catch {
        /* gone */
      }
    }
    return pids;
  }

  /** Ends the session and waits until the app has exited (kills it after 5 s). */
  async close() {
    const b = this.browser;
    this.browser = null;
    if (b) {
      try {
        await withTimeout(b.deleteSession(), 10000, "deleteSession");
      } catch {
        /* the app is killed below */
      }
    }
    const t0 = Date.now();
    while (this.appPids().length) {
      if (Date.now() - t0 > 5000) {
        for (const pid of this.appPids()) for (const p of processTree(pid).reverse()) killPid(p, "SIGKILL");
        await sleep(200);
        break;
      }
      await sleep(50);
    }
  }

  /** Closes the session and opens a new one on the same folders (an app restart). */
  async restart() {
    await this.close();
    return this.open();
  }

  /** Ends everything this environment started and removes its folder (unless E2E_KEEP=1). */
  async dispose() {
    await this.close().catch(() => {});
    if (this.driver) {
      // tauri-driver leads its own process group, which WebKitWebDriver, the app and WebKit's
      // helper processes (even once orphaned) stay in.
      const pgrp = this.driver.pid;
      killPid(-pgrp, "SIGTERM");
      const t0 = Date.now();
      while (processGroup(pgrp).length && Date.now() - t0 < 3000) await sleep(50);
      killPid(-pgrp, "SIGKILL");
      forgetPid(pgrp);
      this.driver = null;
    }
    for (const pid of this.appPids()) killPid(pid, "SIGKILL");
    if (process.env.E2E_KEEP !== "1") rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs the CLI; with `--json` among args, returns the parsed output. */
  cli(...args) {
    const out = execFileSync(CLI, args, { env: this.env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return args.includes("--json") ? JSON.parse(out) : out;
  }

  /** The CLI on the demo database. */
  demo(...args) {
    return this.cli("--db", this.demoDb, ...args);
  }

  /** Creates the demo with the CLI and points the settings at it (the app then opens on it). */
  prepareDemo(extraSettings = {}) {
    mkdirSync(dirname(this.demoDb), { recursive: true });
    mkdirSync(dirname(this.settingsFile), { recursive: true });
    this.cli("--db", this.demoDb, "demo");
    writeFileSync(this.settingsFile, JSON.stringify({ last_db: this.demoDb, ...extraSettings }));
  }
}

// E2E_PIDFILE: the tauri-driver process groups still running, one a line, so that the caller
// (make e2e) can end them even if this process is killed.
function rememberPid(pid) {
  if (process.env.E2E_PIDFILE) appendFileSync(process.env.E2E_PIDFILE, `${pid}\n`);
}
function forgetPid(pid) {
  const f = process.env.E2E_PIDFILE;
  if (!f || !existsSync(f)) return;
  const left = readFileSync(f, "utf8").split("\n").filter((l) => l && l !== String(pid));
  writeFileSync(f, left.map((l) => l + "\n").join(""));
}

function killPid(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** `[data-testid="…"]`, nested ids separated by spaces. */
export const tid = (...ids) => ids.map((i) => `[data-testid="${i}"]`).join(" ");

/** Waits for an element to be displayed and returns it. */
export async function shown(browser, selector, timeout = 10000) {
  const el = await browser.$(selector);
  await el.waitForDisplayed({ timeout, timeoutMsg: `${selector} was not displayed after ${timeout / 1000} s` });
  return el;
}

/**
 * An element's text as shown. WebKitWebDriver's getText gives "" for text inside an element
 * with `overflow: hidden` (e.g. an ellipsised table cell) though it is on screen: fall back to
 * innerText for a displayed element.
 */
export async function visibleText(browser, el) {
  const s = await el.getText();
  if (s !== "" || !(await el.isDisplayed())) return s;
  return browser.execute((e) => e.innerText, el);
}

/** Waits until the element's text satisfies `ok` (a predicate, string or RegExp); returns it. */
export async function textOf(browser, selector, ok = (s) => s.trim() !== "", timeout = 10000) {
  const pred = typeof ok === "function" ? ok : ok instanceof RegExp ? (s) => ok.test(s) : (s) => s === ok;
  let last = "(absent)";
  try {
    await browser.waitUntil(
      async () => {
        const el = await browser.$(selector);
        if (!(await el.isExisting())) return false;
        last = await visibleText(browser, el);
        return pred(last);
      },
      { timeout, interval: 50 },
    );
  } catch {
    throw new Error(`${selector}: text ${JSON.stringify(last)} did not become ${ok instanceof RegExp || typeof ok === "string" ? JSON.stringify(String(ok)) : "as expected"} within ${timeout / 1000} s`);
  }
  return last;
}

/** The number formatting of the UI (ui/src/lib/i18n: fmtValue with unit "%"). */
const LOCALES = { en: "en-GB", fr: "fr-FR", es: "es-ES" };
export function fmtNumber(v, decimals = 0, lang = "en") {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  return new Intl.NumberFormat(LOCALES[lang], { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(v);
}
export function fmtPercent(v, lang = "en") {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  return `${fmtNumber(v, 2, lang)} %`;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A stand-in PDF viewer for xdg-open, writing each file it is given to `log`. */
export function fakeViewer(env) {
  const log = join(env.dir, "viewer.log");
  const script = join(env.dir, "viewer.sh");
  writeFileSync(script, `#!/bin/sh\necho "$1" >> '${log}'\n`);
  chmodSync(script, 0o755);
  const apps = join(env.dataHome, "applications");
  mkdirSync(apps, { recursive: true });
  writeFileSync(
    join(apps, "mizani-e2e-viewer.desktop"),
    `[Desktop Entry]\nType=Application\nName=Mizani e2e viewer\nExec=${script} %f\nMimeType=application/pdf;\nNoDisplay=true\n`,
  );
  writeFileSync(join(env.configHome, "mimeapps.list"), "[Default Applications]\napplication/pdf=mizani-e2e-viewer.desktop\n");
  // xdg-open's generic path (no desktop session under Xvfb) reads the files above.
  for (const v of ["XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID"]) delete env.env[v];
  env.env.BROWSER = script;
  return log;
}
