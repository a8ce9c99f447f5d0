// Translations: src/lib/i18n/locales/<lang>/<namespace>.json, merged at build time.
// Keys are "<namespace>.<key>". `t()` reads the reactive language, so switching it re-renders
// every label at once. A test (tests/i18n.test.mjs) fails on a key missing in any language or
// defined but unused.
import type { Language } from "../bindings/Language";

type Dict = Record<string, string>;
const files = import.meta.glob<{ default: Dict }>("./locales/*/*.json", { eager: true });

const dicts: Record<Language, Dict> = { en: {}, fr: {}, es: {} };
for (const [path, mod] of Object.entries(files)) {
  const m = path.match(/\.\/locales\/(en|fr|es)\/([\w-]+)\.json$/);
  if (!m) continue;
  const [, lang, ns] = m;
  for (const [k, v] of Object.entries(mod.default)) dicts[lang as Language][`${ns}.${k}`] = v;
}

export const languages: Language[] = ["en", "fr", "es"];
const locales: Record<Language, string> = { en: "en-GB", fr: "fr-FR", es: "es-ES" };

export const i18n = $state<{ lang: Language }>({ lang: "en" });

export function setLanguage(lang: Language) {
  i18n.lang = lang;
  document.documentElement.lang = lang;
}

/** Translates `key`, replacing `{name}` placeholders with `params`. */
export function t(key: string, params?: Record<string, string | number>): string {
  let s = dicts[i18n.lang][key] ?? dicts.en[key] ?? key;
  if (params) for (const [k, v] of Object.entries(params)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

export function locale(): string {
  return locales[i18n.lang];
}

const nfCache = new Map<string, Intl.NumberFormat>();
/** A number in the user's locale: 1 234,5 in French, 1,234.5 in English. */
export function fmtNumber(v: number | null | undefined, decimals = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const key = `${locales[i18n.lang]}|${decimals}`;
  let nf = nfCache.get(key);
  if (!nf) {
    nf = new Intl.NumberFormat(locales[i18n.lang], { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    nfCache.set(key, nf);
  }
  return nf.format(v);
}

/** An indicator value with its unit: "5,40 %", "64 634 XOF", "266,9". */
export function fmtValue(v: number | null | undefined, unit: string, currency = ""): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  switch (unit) {
    case "%":
      return `${fmtNumber(v, 2)} %`;
    case "currency":
      return `${fmtNumber(v, 0)}${currency ? " " + currency : ""}`;
    case "count":
      return fmtNumber(v, 0);
    default:
      return fmtNumber(v, 1);
  }
}

/** A date (unix seconds or ISO string) in the user's locale. */
export function fmtDate(v: number | string | null | undefined): string {
  if (v === null || v === undefined) return "—";
  const d = typeof v === "number" ? new Date(v * 1000) : new Date(v);
  return new Intl.DateTimeFormat(locales[i18n.lang], { dateStyle: "medium" }).format(d);
}

/** A date and time (unix seconds) in the user's locale: "27 Nov 2026, 14:05". */
export function fmtDateTime(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  return new Intl.DateTimeFormat(locales[i18n.lang], { dateStyle: "medium", timeStyle: "short" }).format(new Date(v * 1000));
}

/** A period label: "2026-Q3" → "T3 2026" in French, "Q3 2026" in English; months by name. */
export function fmtPeriod(p: string | null | undefined): string {
  if (!p) return "—";
  const q = p.match(/^(\d{4})-Q([1-4])$/);
  if (q) return t("common.quarter_label", { year: q[1], q: q[2] });
  const m = p.match(/^(\d{4})-(\d{2})$/);
  if (m) {
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
    return new Intl.DateTimeFormat(locales[i18n.lang], { month: "short", year: "numeric", timeZone: "UTC" }).format(d);
  }
  return p;
}

/** Parses a number typed in either notation (1 234,5 / 1,234.5 / 1.234,5). */
export function parseNumber(raw: string): number | null {
  let s = raw.trim().replace(/[\s\u00a0\u202f']/g, "");
  if (!s) return null;
  const commas = (s.match(/,/g) ?? []).length;
  const dots = (s.match(/\./g) ?? []).length;
  if (commas && dots) s = s.lastIndexOf(",") > s.lastIndexOf(".") ? s.replace(/\./g, "").replace(",", ".") : s.replace(/,/g, "");
  else if (commas === 1) s = s.replace(",", ".");
  else if (commas > 1) s = s.replace(/,/g, "");
  else if (dots > 1) s = s.replace(/\./g, "");
  if (!/^[-+]?\d*\.?\d+(e[-+]?\d+)?$/i.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}
