// Every user-visible string exists in en, fr and es; every key used in the code exists; every
// key defined is used; placeholders agree across languages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const localeDir = join(root, "src/lib/i18n/locales");
const langs = ["en", "fr", "es"];

function load(lang) {
  const out = {};
  for (const f of readdirSync(join(localeDir, lang))) {
    if (!f.endsWith(".json")) continue;
    const ns = f.slice(0, -5);
    const dict = JSON.parse(readFileSync(join(localeDir, lang, f), "utf8"));
    for (const [k, v] of Object.entries(dict)) out[`${ns}.${k}`] = v;
  }
  return out;
}

function sources(dir, acc = []) {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) {
      if (f !== "bindings" && f !== "locales") sources(p, acc);
    } else if (/\.(svelte|ts)$/.test(f)) acc.push(readFileSync(p, "utf8"));
  }
  return acc;
}

const dicts = Object.fromEntries(langs.map((l) => [l, load(l)]));
const code = sources(join(root, "src")).join("\n");
// t("ns.key") / t('ns.key') / t(`ns.key`) and dynamic t(`ns.prefix_${x}`).
const used = new Set([...code.matchAll(/\bt\(\s*["'`]([\w.-]+)["'`]/g)].map((m) => m[1]));
const dynamicPrefixes = [...code.matchAll(/\bt\(\s*`([\w.-]+)\$\{/g)].map((m) => m[1]);

test("every language has exactly the same keys", () => {
  for (const l of ["fr", "es"]) {
    const missing = Object.keys(dicts.en).filter((k) => !(k in dicts[l]));
    const extra = Object.keys(dicts[l]).filter((k) => !(k in dicts.en));
    assert.deepEqual(missing, [], `keys missing in ${l}`);
    assert.deepEqual(extra, [], `keys in ${l} but not in en`);
  }
});

test("no translation is empty and placeholders agree", () => {
  for (const [k, en] of Object.entries(dicts.en)) {
    const ph = (s) => [...String(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(",");
    for (const l of langs) {
      assert.ok(String(dicts[l][k] ?? "").trim().length > 0, `${l}: ${k} is empty`);
      assert.equal(ph(dicts[l][k]), ph(en), `${l}: ${k} has other placeholders than en`);
    }
  }
});

test("every key used in the code exists", () => {
  const missing = [...used].filter((k) => k.includes(".") && !(k in dicts.en));
  assert.deepEqual(missing, [], "keys used in the code but not defined");
  for (const p of dynamicPrefixes) {
    assert.ok(Object.keys(dicts.en).some((k) => k.startsWith(p)), `no key starts with dynamic prefix ${p}`);
  }
});

test("every key defined is used", () => {
  const unused = Object.keys(dicts.en).filter((k) => !used.has(k) && !dynamicPrefixes.some((p) => k.startsWith(p)));
  assert.deepEqual(unused, [], "keys defined but never used (remove them or use them)");
});
