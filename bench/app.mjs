// The desktop app at 100k photos (issue #15): launch, typing to results, memory, a new photo.
// Run through bench/app, which builds the app and gives it a virtual display; this file drives
// the real binary in a WebKitGTK window through tauri-driver, reusing the e2e client.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { startTauriDriver } from "../tests/e2e/tauri-driver.mjs";
import { Session, waitFor } from "../tests/e2e/webdriver.mjs";

const REPO = join(import.meta.dirname, "..");
const BENCH = process.env.BENCH_DIR ?? "/var/tmp/photofind-bench";
/** The page's typing debounce, read from ui/src/lib/search.svelte.ts (DEBOUNCE_MS). */
const DEBOUNCE_MS = Number(
  /export const DEBOUNCE_MS = (\d+);/.exec(
    readFileSync(new URL("../ui/src/lib/search.svelte.ts", import.meta.url), "utf8"),
  )?.[1] ?? NaN,
);
const QUERIES = ["cat", "beach", "dog", "mountain", "red car", "sunset", "snow", "city at night", "flowers", "a boat"];
/** A month the generated library lacks (bench/live uses 2030). */
const NEW_FOLDER = join("2031", "01");
const NEW_PHOTO = join(REPO, "tests", "fixtures", "photos", "astronaut.png");
const ENTER = "\uE007";
const INPUT = '[data-testid="search-input"]';
/** A search result's cell (an empty box shows the timeline, whose cells are results too). */
const HIT = '[data-testid="results"] [data-testid="result"]';
const TIMELINE = '[data-testid="timeline"]';

const { values: opts } = parseArgs({
  options: {
    count: { type: "string", default: "100000" },
    samples: { type: "string", default: "20" },
    launches: { type: "string", default: "3" },
    model: { type: "string", default: join(REPO, "tests", "fixtures", "models", "tiny-p32-quickgelu") },
    out: { type: "string" },
    screenshot: { type: "string", default: join(BENCH, "app-100k.png") },
  },
});

const say = (text) => console.error(`\n== ${text}`);
const now = () => performance.timeOrigin + performance.now();
const seconds = (from, to) => (to - from) / 1000;

async function main() {
  const home = join(BENCH, `live-${opts.count}`);
  const data = join(home, "data");
  const library = join(home, "library");
  const binary = process.env.PHOTOFIND_DESKTOP_BIN;
  if (!binary) throw new Error("PHOTOFIND_DESKTOP_BIN is not set (run bench/app)");
  await noRivals(data);
  // Left by a run that stopped early; the app's start-up scan takes it out again.
  rmSync(join(library, NEW_FOLDER.split("/")[0]), { recursive: true, force: true });
  // The bench library's synthetic photos look alike to the tiny model: stacked, 94 % would fold.
  Object.assign(process.env, { PHOTOFIND_DATA_DIR: data, PHOTOFIND_MODEL: opts.model, PHOTOFIND_STACKS: "off" });
  const report = { count: Number(opts.count), data, library, binary, model: opts.model, machine: machine(), launches: [] };
  const driver = await startTauriDriver();
  try {
    for (let i = 1; i < Number(opts.launches); i += 1) {
      say(`launch ${i} of ${opts.launches}`);
      const { app, launch } = await launchApp(driver.url, binary);
      report.launches.push(launch);
      await app.end();
      await exited(binary); // it holds the writer lock until it is gone
    }
    say(`launch ${opts.launches} of ${opts.launches} (the one measured further)`);
    const { app, launch } = await launchApp(driver.url, binary);
    report.launches.push(launch);
    try {
      report.timeline = await timelineScroll(app, Number(opts.samples));
      report.queries = await queries(app, Number(opts.samples));
      report.memory = memory(binary);
      report.new_photo = await newPhoto(app, library);
      report.memory_after_new_photo = memory(binary);
    } finally {
      await app.end().catch((error) => console.error(`ending the session: ${error.message}`));
    }
  } finally {
    await driver.stop();
  }
  report.machine.load_at_end = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
  const out = opts.out ?? join(home, "app-results.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2));
  console.log(table(report));
  console.log(`\n(all figures: ${out}; screenshot: ${report.queries.screenshot})`);
}

function machine() {
  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1];
  const git = (args) => execFileSync("git", args, { cwd: REPO, encoding: "utf8" }).trim();
  const changed = git(["status", "--short", "--untracked-files=no"]).split("\n").filter(Boolean).length;
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
  return { cpu, cpus: availableParallelism(), load_at_start: load, commit: git(["rev-parse", "HEAD"]), files_changed_since: changed };
}

/** Another writer on the data dir (a `photofind watch`, another app) would hold its lock. */
async function noRivals(data) {
  const rivals = () =>
    processes().filter(({ argv, env }) => {
      const name = (argv[0] ?? "").split("/").pop();
      const onData = argv.includes(data) || env.includes(`PHOTOFIND_DATA_DIR=${data}`);
      return onData && ((name === "photofind" && argv.includes("watch")) || name === "photofind-desktop");
    });
  const found = await waitFor(() => (rivals().length === 0 ? true : undefined), {
    timeoutMs: 600_000,
    intervalMs: 2_000,
    what: "no other photofind writer on the data dir",
  }).catch(() => rivals());
  if (found !== true) throw new Error(`still running on ${data}: ${found.map((p) => `${p.pid} ${p.argv.join(" ")}`).join("; ")}`);
}

function processes() {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .flatMap((pid) => {
      try {
        const read = (file) => readFileSync(`/proc/${pid}/${file}`, "utf8").split("\0").filter(Boolean);
        const ppid = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[1]);
        return [{ pid: Number(pid), ppid, argv: read("cmdline"), env: read("environ") }];
      } catch {
        return []; // gone meanwhile, or not ours to read
      }
    });
}

/** Spawns the app and times it to interactive (the search box and the index state shown) and
 * to "Up to date" (its start-up scan of the library done). */
async function launchApp(url, binary) {
  const start = now();
  const app = await Session.start(url, binary);
  const session = now();
  const probe = `
    const state = document.querySelector('[data-testid="index-state"]');
    return { input: !!document.querySelector('${INPUT}'), state: state ? state.textContent.trim() : null,
             origin: performance.timeOrigin };`;
  let page;
  const interactive = await waitFor(
    async () => {
      page = await app.execute(probe);
      return page.input && page.state !== null ? now() : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 10, what: "the search box and the index state" },
  );
  const firstState = page.state;
  // The window opens on the timeline: its first cell with its thumbnail painted.
  const timeline = await waitFor(
    async () =>
      (await app.execute(`
        const img = document.querySelector('${TIMELINE} [data-testid="result"] img');
        return img && img.complete && img.naturalWidth > 0 || undefined;`)) ? now() : undefined,
    { timeoutMs: 120_000, intervalMs: 10, what: "the timeline's first thumbnail" },
  );
  const upToDate = await waitFor(
    async () => {
      page = await app.execute(probe);
      return page.state.startsWith("Up to date") ? now() : undefined;
    },
    { timeoutMs: 600_000, intervalMs: 20, what: '"Up to date"' },
  );
  const launch = {
    session_s: seconds(start, session),
    page_origin_s: seconds(start, page.origin),
    interactive_s: seconds(start, interactive),
    timeline_s: seconds(start, timeline),
    state_at_interactive: firstState,
    up_to_date_s: seconds(start, upToDate),
    state: page.state,
  };
  console.error(JSON.stringify(launch));
  return { app, launch };
}

/** Scrolls the timeline to `samples` places spread over it (a jump, as dragging the scrollbar
 * is) and times, in the page, until the cells in view hold their photos (no placeholder left)
 * and until their thumbnails have loaded. */
async function timelineScroll(app, samples) {
  say(`the timeline: ${samples} jumps across it`);
  await clearQuery(app);
  const runs = [];
  for (let k = 0; k < samples; k += 1) {
    const fraction = (0.3 + k * 0.618034) % 1; // spread, never the same place twice
    const run = await app.executeAsync(`
      const [fraction, done] = [arguments[0], arguments[arguments.length - 1]];
      const view = document.querySelector('${TIMELINE}');
      const box = view.getBoundingClientRect();
      const inView = (e) => { const r = e.getBoundingClientRect(); return r.bottom > box.top && r.top < box.bottom; };
      const started = performance.now();
      view.scrollTop = fraction * (view.scrollHeight - view.clientHeight);
      let cells = null;
      (function check() {
        const waiting = [...view.querySelectorAll('[data-testid="placeholder"]')].filter(inView).length;
        const shown = [...view.querySelectorAll('[data-testid="result"]')].filter(inView);
        if (cells === null && waiting === 0 && shown.length > 0) cells = performance.now() - started;
        const images = shown.map((cell) => cell.querySelector('img')).filter(Boolean);
        const loaded = cells !== null && images.every((img) => img.complete);
        if (loaded || performance.now() - started > 20000)
          return done({ fraction, cells_ms: cells, thumbnails_ms: loaded ? performance.now() - started : null, shown: shown.length });
        requestAnimationFrame(check);
      })();`, [fraction]);
    console.error(JSON.stringify(run));
    runs.push(run);
  }
  const stat = (key) => {
    const values = runs.map((r) => r[key]).filter((v) => typeof v === "number").sort((a, b) => a - b);
    const at = (q) => values[Math.min(values.length - 1, Math.floor(q * values.length))];
    return { samples: values.length, p50: at(0.5), p99: at(0.99), max: values.at(-1) };
  };
  return { runs, cells_ms: stat("cells_ms"), thumbnails_ms: stat("thumbnails_ms") };
}

/** Arms a probe in the page: the time of the last keystroke into the box (input event) and of
 * Enter, then, from a MutationObserver, when the first result cell enters the DOM, the next
 * animation frame (the one that paints it), and when its thumbnail has loaded. */
const ARM = `
  const input = document.querySelector('${INPUT}');
  const probe = { firstInput: null, input: null, enter: null, dom: null, valueAtDom: null, frame: null, image: null, first: null, cells: 0 };
  window.__benchProbe = probe;
  if (!window.__benchListening) {
    window.__benchListening = true;
    input.addEventListener('input', () => { const p = window.__benchProbe; p.input = performance.now(); p.firstInput ??= p.input; }, true);
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') window.__benchProbe.enter = performance.now(); }, true);
  }
  const cell = () => document.querySelector('${HIT}');
  const watchImage = () => {
    const img = cell()?.querySelector('img');
    if (img && img.complete && img.naturalWidth > 0) {
      probe.image = performance.now();
      probe.first = cell().dataset.path;
      probe.cells = document.querySelectorAll('${HIT}').length;
    } else requestAnimationFrame(watchImage);
  };
  const observer = new MutationObserver(() => {
    if (!cell()?.querySelector('img')) return;
    probe.dom = performance.now();
    probe.valueAtDom = input.value;
    observer.disconnect();
    requestAnimationFrame(() => { probe.frame = performance.now(); watchImage(); });
  });
  observer.observe(document.body, { childList: true, subtree: true });
  return null;`;

/** Waits in the page until the armed probe has seen the thumbnail. */
const AWAIT_PROBE = `
  const done = arguments[arguments.length - 1];
  const started = performance.now();
  (function check() {
    const p = window.__benchProbe;
    if (p.image !== null || performance.now() - started > 20000) done(p); else setTimeout(check, 5);
  })();`;

/** Empties the box as typing would (an input event) and runs the empty query at once (Enter):
 * left to the debounce, the old results would stay behind the empty box and come back at the
 * next keystroke. */
async function clearQuery(app) {
  await app.execute(`
    const input = document.querySelector('${INPUT}');
    input.value = '';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    return null;`);
  await waitFor(
    async () => ((await app.findAll(HIT)).length === 0 && (await app.findAll(TIMELINE)).length > 0) || undefined,
    { timeoutMs: 10_000, intervalMs: 20, what: "the results to clear" },
  );
  await sleep(DEBOUNCE_MS + 100);
}

/** One query: typed and left to the debounce, or typed and sent with Enter. */
async function timeQuery(app, query, enter) {
  await clearQuery(app);
  await app.execute(ARM);
  const input = await app.find(INPUT);
  await app.type(input, enter ? query + ENTER : query);
  const p = await app.executeAsync(AWAIT_PROBE);
  if (p.image === null) throw new Error(`no thumbnail within 20 s for ${JSON.stringify(query)}: ${JSON.stringify(p)}`);
  // Results for a prefix, had the debounce run out between two keystrokes, would not count.
  if (p.valueAtDom !== query) throw new Error(`results came for ${JSON.stringify(p.valueAtDom)}, not ${JSON.stringify(query)}`);
  const from = enter ? p.enter : p.input;
  return {
    query,
    mode: enter ? "enter" : "typed",
    typing_ms: p.input - p.firstInput,
    dom_ms: p.dom - from,
    painted_ms: p.frame - from,
    thumbnail_ms: p.image - from,
    cells_in_dom: p.cells,
    first: p.first,
  };
}

async function queries(app, samples) {
  say("a first query after launch (not in the samples)");
  const first = await timeQuery(app, "a photo", false);
  console.error(JSON.stringify(first));
  const runs = [];
  // Each query, in each mode, once in the first half and once in the second: every mode gets
  // as many first sights of a result set (thumbnails still to make) as repeats.
  for (let k = 0; k < 2 * samples; k += 1) {
    const query = QUERIES[k % QUERIES.length];
    const enter = (k + Math.floor(k / QUERIES.length)) % 2 === 1;
    const run = { ...(await timeQuery(app, query, enter)), repeat: k >= QUERIES.length };
    console.error(JSON.stringify(run));
    runs.push(run);
  }
  const screenshot = await shoot(app, "beach");
  const typed = runs.filter((r) => r.mode === "typed");
  const enter = runs.filter((r) => r.mode === "enter");
  return {
    debounce_ms: DEBOUNCE_MS,
    first_query: first,
    typed: summary(typed, DEBOUNCE_MS),
    enter: summary(enter, 0),
    screenshot,
    runs,
  };
}

function summary(runs, debounce) {
  const stat = (key) => {
    const values = runs.map((r) => r[key]).sort((a, b) => a - b);
    const rank = (p) => values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
    return { p50: rank(50), p99: rank(99), min: values[0], max: values.at(-1), minus_debounce_p50: rank(50) - debounce, minus_debounce_p99: rank(99) - debounce };
  };
  return { samples: runs.length, painted_ms: stat("painted_ms"), thumbnail_ms: stat("thumbnail_ms"), dom_ms: stat("dom_ms") };
}

/** A query's window once every visible thumbnail has loaded. */
async function shoot(app, query) {
  await clearQuery(app);
  await app.type(await app.find(INPUT), query + ENTER);
  await waitFor(
    async () =>
      (await app.execute(`
        const images = [...document.querySelectorAll('[data-testid="results"] [data-testid="result"] img')];
        return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0) || undefined;`)) ?? undefined,
    { timeoutMs: 30_000, what: "the visible thumbnails" },
  );
  mkdirSync(dirname(opts.screenshot), { recursive: true });
  writeFileSync(opts.screenshot, await app.screenshot());
  return opts.screenshot;
}

function appProcess(binary) {
  const exe = realpathSync(binary);
  return processes().find(({ pid }) => {
    try {
      return readlinkSync(`/proc/${pid}/exe`) === exe;
    } catch {
      return false;
    }
  });
}

function exited(binary) {
  return waitFor(() => (appProcess(binary) ? undefined : true), { timeoutMs: 30_000, intervalMs: 50, what: "the app to exit" });
}

/** VmRSS and VmHWM of the app, and of the WebKit processes it started (page, network). */
function memory(binary) {
  const all = processes();
  const app = appProcess(binary);
  if (!app) throw new Error(`no running ${binary}`);
  const descendants = [];
  const walk = (pid) => all.filter((p) => p.ppid === pid).forEach((child) => { descendants.push(child); walk(child.pid); });
  walk(app.pid);
  const status = (pid) => {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field) => Number(text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
    return { rss_mib: kib("VmRSS") / 1024, hwm_mib: kib("VmHWM") / 1024, threads: Number(text.match(/^Threads:\s+(\d+)/m)[1]) };
  };
  const children = descendants.map((p) => ({ pid: p.pid, name: (p.argv[0] ?? "").split("/").pop(), ...status(p.pid) }));
  const app_ = { pid: app.pid, ...status(app.pid) };
  const total = children.reduce((sum, c) => sum + c.rss_mib, app_.rss_mib);
  return { app: app_, children, total_rss_mib: total };
}

/** A photo copied into a new month folder, until the page has it; then the folder removed. */
async function newPhoto(app, library) {
  say("a new photo: search by it, copy it in, wait for the page to find it");
  await clearQuery(app);
  const folder = join(library, NEW_FOLDER);
  const added = join(folder, "bench-new-astronaut.png");
  await app.type(await app.find('[data-testid="image-picker"]'), NEW_PHOTO);
  await waitFor(async () => (await app.findAll(HIT)).length > 0 || undefined, {
    timeoutMs: 20_000,
    what: "results for the image query",
  });
  const before = photoCount(await app.text(await app.find('[data-testid="index-state"]')));
  await sleep(2_000); // the page settles: no commit from the start-up scan is still on its way
  mkdirSync(folder, { recursive: true });
  copyFileSync(NEW_PHOTO, added);
  const copied = now();
  const found = await watchPage(app, { path: added, present: true, count: before + 1 });
  const result = { photo: added, ...relative(found, copied) };
  console.error(JSON.stringify(result));
  say("removing it again");
  rmSync(join(library, NEW_FOLDER.split("/")[0]), { recursive: true, force: true });
  const removed = now();
  const gone = await watchPage(app, { path: added, present: false, count: before });
  result.removed = relative(gone, removed);
  console.error(JSON.stringify(result.removed));
  return result;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const photoCount = (state) => Number((state.match(/([\d,.\s\u202f]+)\s+photos?/)?.[1] ?? "NaN").replace(/\D/g, ""));

/** Watches the page until the index state shows `count` photos and, after clicking "Show new
 * results" (as a user would), `path` is first (`present`) or not first. Epoch milliseconds. */
async function watchPage(app, want) {
  await app.execute(`
    const want = arguments[0];
    const page = { want, state: null, outdated: null, clicked: null, found: null };
    window.__benchPage = page;
    const epoch = () => performance.timeOrigin + performance.now();
    const count = () => Number((document.querySelector('[data-testid="index-state"]')?.textContent
      .match(/([\\d,.\\s\\u202f]+)\\s+photos?/)?.[1] ?? 'NaN').replace(/\\D/g, ''));
    (function tick() {
      if (page.state === null && count() === want.count) page.state = epoch();
      const button = document.querySelector('[data-testid="results-outdated"] button');
      if (button) {
        page.outdated ??= epoch();
        button.click();
        page.clicked = epoch();
      }
      const first = document.querySelector('${HIT}')?.dataset.path;
      if (page.found === null && page.clicked !== null && (first === want.path) === want.present) page.found = epoch();
      if (page.found === null || page.state === null) setTimeout(tick, 2);
    })();
    return null;`, [want]);
  return waitFor(
    async () => {
      const page = await app.execute("return window.__benchPage;");
      return page.found !== null && page.state !== null ? page : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 50, what: `the page to ${want.present ? "find" : "drop"} ${want.path}` },
  );
}

function relative(page, from) {
  return {
    index_state_s: seconds(from, page.state),
    outdated_shown_s: seconds(from, page.outdated),
    first_result_s: seconds(from, page.found),
  };
}

function table(r) {
  const f = (x, digits = 1) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : String(x));
  const lines = [`\nphotofind desktop app, ${r.count} photos (${r.binary})`, `  ${r.machine.cpu}, ${r.machine.cpus} CPUs; load average ${r.machine.load_at_start.join(" ")} at the start, ${r.machine.load_at_end.join(" ")} at the end`];
  r.launches.forEach((l, i) =>
    lines.push(`  launch ${i + 1}: session ${f(l.session_s, 2)} s, interactive ${f(l.interactive_s, 2)} s ("${l.state_at_interactive}"), timeline painted ${f(l.timeline_s, 2)} s, up to date ${f(l.up_to_date_s, 2)} s`),
  );
  const t = r.timeline;
  lines.push(`  timeline jump → cells in view filled (${t.cells_ms.samples} samples): p50 ${f(t.cells_ms.p50)} ms, p99 ${f(t.cells_ms.p99)} ms, max ${f(t.cells_ms.max)} ms`);
  lines.push(`      → their thumbnails loaded: p50 ${f(t.thumbnails_ms.p50)} ms, p99 ${f(t.thumbnails_ms.p99)} ms (${t.thumbnails_ms.samples} samples)`);
  const q = r.queries;
  lines.push(`  first query after launch ("${q.first_query.query}", typed): painted ${f(q.first_query.painted_ms)} ms, thumbnail ${f(q.first_query.thumbnail_ms)} ms`);
  for (const [name, s, note] of [
    ["typed", q.typed, `from the last keystroke, incl. the ${q.debounce_ms} ms debounce`],
    ["Enter", q.enter, "from the Enter keydown, no debounce"],
  ]) {
    lines.push(`  ${name} → first result painted (${s.samples} samples, ${note}): p50 ${f(s.painted_ms.p50)} ms, p99 ${f(s.painted_ms.p99)} ms` +
      (name === "typed" ? ` (minus debounce: p50 ${f(s.painted_ms.minus_debounce_p50)} ms, p99 ${f(s.painted_ms.minus_debounce_p99)} ms)` : ""));
    lines.push(`      → its thumbnail loaded: p50 ${f(s.thumbnail_ms.p50)} ms, p99 ${f(s.thumbnail_ms.p99)} ms`);
  }
  const m = r.memory;
  lines.push(`  memory after the queries: app VmRSS ${f(m.app.rss_mib)} MiB, VmHWM ${f(m.app.hwm_mib)} MiB; with its WebKit processes ${f(m.total_rss_mib)} MiB RSS`);
  for (const c of m.children) lines.push(`      ${c.name} (${c.pid}): VmRSS ${f(c.rss_mib)} MiB, VmHWM ${f(c.hwm_mib)} MiB`);
  const n = r.new_photo;
  lines.push(`  new photo: index state ${f(n.index_state_s, 2)} s, "Show new results" ${f(n.outdated_shown_s, 2)} s, first result ${f(n.first_result_s, 2)} s (after the copy)`);
  lines.push(`  removed:   index state ${f(n.removed.index_state_s, 2)} s, "Show new results" ${f(n.removed.outdated_shown_s, 2)} s, gone from first ${f(n.removed.first_result_s, 2)} s`);
  return lines.join("\n");
}

await main();
