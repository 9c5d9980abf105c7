// A messy library: 10,000 empty `.jpg` files land in a watched folder of good fixture photos
// while the app runs. The window must stay responsive (a search returns while they are being
// recorded and after), and the failures panel must page through them instead of loading them
// all. The library is prepared as library.test.mjs does: the CLI indexes the good photos with
// the fixture checkpoint in a fresh data dir.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTauriDriver } from "./tauri-driver.mjs";
import { Session, waitFor } from "./webdriver.mjs";

const REPO = join(import.meta.dirname, "..", "..");
const FIXTURES = join(REPO, "tests", "fixtures");
const SCREENSHOTS = join(import.meta.dirname, "screenshots");
const BROKEN = 10_000;
/** A search slower than this, with the window busy recording failures, is a frozen window. */
const RESPONSIVE_MS = 10_000;

function targetDir() {
  const metadata = JSON.parse(
    execFileSync("cargo", ["metadata", "--format-version", "1", "--no-deps"], { cwd: REPO, encoding: "utf8" }),
  );
  return metadata.target_directory;
}

describe("desktop app over 10,000 broken files", { timeout: 420_000 }, () => {
  const target = targetDir();
  const binary = process.env.PHOTOFIND_DESKTOP_BIN ?? join(target, "debug", "photofind-desktop");
  const cli = process.env.PHOTOFIND_CLI_BIN ?? join(target, "debug", "photofind");
  const data = mkdtempSync(join(tmpdir(), "photofind-e2e-data-"));
  const photos = realpathSync(mkdtempSync(join(tmpdir(), "photofind-e2e-messy-")));
  const env = { ...process.env, PHOTOFIND_DATA_DIR: data, PHOTOFIND_MODEL: join(FIXTURES, "models", "tiny-p32-quickgelu") };
  let driver;
  let app;

  const shoot = async (name) => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, `${name}.png`), await app.screenshot());
  };
  const text = async (css) => app.text(await app.find(css));
  /** The failures panel's "Showing N of M", as [N, M]. */
  const shownRows = async () => {
    const shown = await app.find('[data-testid="failures-shown"]');
    return [await app.attribute(shown, "data-shown"), await app.attribute(shown, "data-total")];
  };
  /** Types `query` afresh and returns how long until the first result showed. */
  let typed = "";
  const timedSearch = async (query) => {
    const input = await app.find('[data-testid="search-input"]');
    // Backspaces, not WebDriver's clear: the page hears them as it hears a user.
    if (typed.length > 0) await app.type(input, "\uE003".repeat(typed.length));
    typed = query;
    // An empty box shows the timeline: the search results' grid is what goes and comes.
    const hits = '[data-testid="results"] [data-testid="result"]';
    await waitFor(async () => (await app.findAll(hits)).length === 0 || undefined, {
      what: "the results to clear",
    });
    const started = Date.now();
    await app.type(input, query);
    await waitFor(async () => (await app.findAll(hits)).length > 0 || undefined, {
      what: `results for "${query}"`,
      timeoutMs: 60_000,
    });
    return Date.now() - started;
  };

  before(async () => {
    for (const name of ["rocket.jpg", "cat.png", "camera.png", "coffee.png", "hubble-tall.jpg"]) {
      copyFileSync(join(FIXTURES, "photos", name), join(photos, name));
    }
    execFileSync(cli, ["index", photos], { env, encoding: "utf8" });
    Object.assign(process.env, { PHOTOFIND_DATA_DIR: env.PHOTOFIND_DATA_DIR, PHOTOFIND_MODEL: env.PHOTOFIND_MODEL });
    driver = await startTauriDriver();
    app = await Session.start(driver.url, binary);
    await waitFor(() => app.find(`[data-testid="folder"][data-path="${photos}"]`), { what: "the folder" });
  });

  after(async () => {
    await app?.end().catch((error) => console.error(`ending the session: ${error.message}`));
    await driver?.stop();
  });

  it("answers a search while the broken files are being recorded", async () => {
    // The launch's own scan first, so what follows is the broken files' doing.
    await waitFor(async () => ((await text('[data-testid="index-state"]')).startsWith("Up to date") || undefined), {
      what: "the first scan to finish",
      timeoutMs: 60_000,
    });
    // Straight into the root: a new subfolder would also test the watcher's handling of
    // folders, which is core's to test.
    for (let i = 0; i < BROKEN; i += 1) writeFileSync(join(photos, `empty-${String(i).padStart(5, "0")}.jpg`), "");
    // The service sees them come in (debounce, settle) and starts on them. A fast machine
    // records all 10,000 between two looks at the state (seen on a Xeon, 2026-12-03), so a
    // failure already counted says it started as well as the state does.
    const started = async () => {
      if (!(await text('[data-testid="index-state"]')).startsWith("Up to date")) return "while recording";
      const [count] = await app.findAll('[data-testid="failed-count"]');
      return count !== undefined && Number(await app.attribute(count, "data-count")) > 0 ? "after recording" : undefined;
    };
    const when = await waitFor(started, { what: "indexing to start", timeoutMs: 60_000 });
    const took = await timedSearch("a rocket launch");
    console.log(`search ${when} failures: ${took} ms`);
    assert.ok(took < RESPONSIVE_MS, `a search took ${took} ms while failures were recorded`);
  });

  it("counts every broken file, and answers a search after", async () => {
    // Counts are read from data attributes: the text's digit grouping follows the locale.
    const started = Date.now();
    await waitFor(
      async () => {
        const [shown] = await app.findAll('[data-testid="failed-count"]');
        return shown !== undefined && (await app.attribute(shown, "data-count")) === `${BROKEN}` ? true : undefined;
      },
      { what: `${BROKEN} failures counted`, timeoutMs: 300_000, intervalMs: 1_000 },
    );
    console.log(`${BROKEN} failures recorded ${Date.now() - started} ms after the search`);
    assert.match(await text('[data-testid="failed-count"]'), /^10.?000 files could not be indexed$/);
    await waitFor(async () => ((await text('[data-testid="index-state"]')).startsWith("Up to date") || undefined), {
      what: "indexing to finish",
      timeoutMs: 60_000,
    });
    const took = await timedSearch("a cat");
    assert.ok(took < RESPONSIVE_MS, `a search took ${took} ms after the failures were recorded`);
  });

  it("pages through the failures on request", async () => {
    assert.equal((await app.findAll('[data-testid="failure"]')).length, 0, "no row before the list is opened");
    await app.click(await app.find('[data-testid="show-failures"]'));
    await waitFor(async () => (await app.findAll('[data-testid="failure"]')).length === 100 || undefined, {
      what: "the first page of failures",
    });
    assert.deepEqual(await shownRows(), ["100", `${BROKEN}`]);
    const [first] = await app.findAll('[data-testid="failure"]');
    assert.equal(await app.attribute(first, "data-path"), join(photos, "empty-00000.jpg"));

    await app.click(await app.find('[data-testid="more-failures"]'));
    await waitFor(async () => (await app.findAll('[data-testid="failure"]')).length === 200 || undefined, {
      what: "the second page of failures",
    });
    assert.deepEqual(await shownRows(), ["200", `${BROKEN}`]);
    await shoot("failures-panel");
  });
});
