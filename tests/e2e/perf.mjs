// Desktop app figures (`make bench-app`, under Xvfb):
// - cold start: from asking tauri-driver for a new session (which launches the app) until the
//   dashboard's PAR30 tile shows its value, with the demo already created and the settings
//   pointing at it; median of 5 (each run a new app process);
// - resident memory (VmRSS) of the mizani-app process once the demo dashboard is shown, and of
//   the app with its WebKit helper processes (web content, network).
// MIZANI_APP / MIZANI_CLI choose the binaries (default: the debug builds). PERF_RUNS=n.
import { Env, APP, tid, textOf, median, rssKiB, pssKiB, processTree, exeOf, sleep } from "./lib.mjs";
import { loadavg } from "node:os";

const RUNS = Number(process.env.PERF_RUNS || 5);
const env = new Env("perf");
const cleanup = async () => {
  await env.dispose().catch(() => {});
};
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => cleanup().then(() => process.exit(130)));

const mb = (kib) => `${(kib / 1024).toFixed(1)} MB`;

try {
  env.prepareDemo();
  await env.startDriver();
  const starts = [];
  const inPage = [];
  let mem = null;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const b = await env.open();
    await textOf(b, tid("tile-par30", "tile-value"), (s) => /\d/.test(s), 30000);
    const ms = performance.now() - t0;
    // Time from the page's navigation start to now, as the page sees it.
    const pageMs = await b.execute(() => performance.now());
    starts.push(ms);
    inPage.push(pageMs);
    console.log(`run ${i + 1}: cold start to PAR30 tile ${ms.toFixed(0)} ms (page: ${pageMs.toFixed(0)} ms after navigation start)`);
    if (i === RUNS - 1) {
      await sleep(2000); // let the dashboard settle (charts, sparklines) before measuring
      const [pid] = env.appPids();
      const tree = processTree(pid);
      const parts = tree.map((p) => ({ pid: p, exe: exeOf(p).split("/").pop(), kib: rssKiB(p) ?? 0, pss: pssKiB(p) ?? 0 }));
      mem = {
        app: rssKiB(pid),
        total: parts.reduce((a, p) => a + p.kib, 0),
        pss: parts.reduce((a, p) => a + p.pss, 0),
        parts,
      };
    }
    await env.close();
  }
  console.log("");
  console.log(`binary: ${APP}`);
  console.log(`cold start to the first dashboard with data: median ${median(starts).toFixed(0)} ms of ${RUNS} (min ${Math.min(...starts).toFixed(0)}, max ${Math.max(...starts).toFixed(0)}); in-page median ${median(inPage).toFixed(0)} ms`);
  console.log(`resident memory after opening the demo dashboard: mizani-app ${mb(mem.app)} (VmRSS)`);
  console.log(`  with its WebKit processes: RSS ${mb(mem.total)} (${mem.parts.map((p) => `${p.exe} ${mb(p.kib)}`).join(", ")}); PSS ${mb(mem.pss)}`);
  console.log(`load average during the run: ${loadavg().map((x) => x.toFixed(2)).join(" ")} (2 cores)`);
} catch (e) {
  console.error(`bench-app failed: ${e?.stack || e}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
