// App-wide state: the session (which institution is open), the current page, and the period
// and scope shared by the dashboard, reports and indicators pages.
import { ipc, IpcError, type AppState } from "./ipc";
import type { SiteInfo } from "./bindings/SiteInfo";
import { setLanguage } from "./i18n/i18n.svelte";

export type Page =
  | "dashboard"
  | "objectives"
  | "indicators"
  | "entry"
  | "assessments"
  | "actions"
  | "alignment"
  | "decisions"
  | "sync"
  | "reports"
  | "settings";

/** Every page, in the order of the navigation. */
export const PAGES: Page[] = [
  "dashboard",
  "objectives",
  "indicators",
  "entry",
  "assessments",
  "actions",
  "alignment",
  "decisions",
  "sync",
  "reports",
  "settings",
];

export const app = $state({
  state: null as AppState | null,
  page: "dashboard" as Page,
  period: "",
  scope: "org",
  /** Latest month with data (default for data entry). */
  lastMonth: "",
  /** Names of long jobs under way (import, export, backup, demo). */
  jobs: [] as string[],
  /** A message shown briefly at the bottom of the window. */
  notice: "" as string,
  /** Set by a page with unsaved edits; navigation asks before leaving. */
  dirty: false,
  /** This database's site (head office or a branch site); pages hide what a branch cannot do. */
  site: null as SiteInfo | null,
  /** Bumped when the database was replaced (a restore): every page is built again. */
  reloads: 0,
});

export async function loadState(): Promise<void> {
  const s = await ipc.appState();
  applyState(s);
}

let startPageApplied = false;

export async function applyState(s: AppState): Promise<void> {
  // The site first: pages read its role as they open.
  if (s.org) await loadSite();
  else app.site = null;
  app.state = s;
  if (!startPageApplied && s.start_page) {
    startPageApplied = true;
    if ((PAGES as string[]).includes(s.start_page)) app.page = s.start_page as Page;
  }
  setLanguage(s.ui_language);
  if (s.org) {
    try {
      const r = await ipc.dataRange();
      app.period = app.period || r.default_period || "";
      app.lastMonth = r.last_month ?? "";
    } catch (e) {
      if (!(e instanceof IpcError)) throw e;
    }
  } else {
    app.period = "";
    app.lastMonth = "";
  }
}

/** Reads this database's site (its role and the branches it owns) into `app.site`. */
export async function loadSite(): Promise<void> {
  try {
    app.site = (await ipc.syncStatus()).site;
  } catch (e) {
    if (!(e instanceof IpcError)) throw e;
    app.site = null;
  }
}

/** True at a branch site: institution-wide data is changed at head office only. */
export function isBranchSite(): boolean {
  return app.site?.role === "branch";
}

let noticeTimer: ReturnType<typeof setTimeout> | undefined;
export function notify(message: string): void {
  app.notice = message;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (app.notice = ""), 4000);
}
