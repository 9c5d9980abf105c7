// Near duplicates in the real app, over fixture photos and ImageMagick copies of one of them
// (re-encoded at quality 60, halved): the timeline stacks the three into one tile whose count
// opens them, the Duplicates view lists them with the largest kept, and moving the other two to
// the trash (after a yes) moves them into the freedesktop.org trash of a home made for the test,
// and the index follows. A German query is read by the multilingual fixture text model, and the
// window says so.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTauriDriver } from "./tauri-driver.mjs";
import { Session, waitFor } from "./webdriver.mjs";

const REPO = join(import.meta.dirname, "..", "..");
const FIXTURES = join(REPO, "tests", "fixtures");
const SCREENSHOTS = join(import.meta.dirname, "screenshots");

function targetDir() {
  const metadata = JSON.parse(
    execFileSync("cargo", ["metadata", "--format-version", "1", "--no-deps"], { cwd: REPO, encoding: "utf8" }),
  );
  return metadata.target_directory;
}

describe("near duplicates in the app", { timeout: 240_000 }, () => {
  const target = targetDir();
  const binary = process.env.PHOTOFIND_DESKTOP_BIN ?? join(target, "debug", "photofind-desktop");
  const cli = process.env.PHOTOFIND_CLI_BIN ?? join(target, "debug", "photofind");
  const data = mkdtempSync(join(tmpdir(), "photofind-e2e-dupes-data-"));
  const photos = realpathSync(mkdtempSync(join(tmpdir(), "photofind-e2e-dupes-photos-")));
  const home = mkdtempSync(join(tmpdir(), "photofind-e2e-dupes-home-"));
  const trash = join(home, ".local", "share", "Trash");
  const env = {
    ...process.env,
    PHOTOFIND_DATA_DIR: data,
    PHOTOFIND_MODEL: join(FIXTURES, "models", "tiny-p32-quickgelu"),
    PHOTOFIND_TEXT_MODEL: join(FIXTURES, "models", "tiny-multilingual"),
    XDG_DATA_HOME: join(home, ".local", "share"),
  };
  const cat = join(photos, "cat.png");
  const copies = [join(photos, "cat-q60.jpg"), join(photos, "cat-half.png")];
  let driver;
  let app;

  const run = (args) => execFileSync(cli, args, { env, encoding: "utf8" });
  const js = (script, args) => app.execute(script, args);
  const shoot = async (name) => {
    await new Promise((resolve) => setTimeout(resolve, 800));
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, `${name}.png`), await app.screenshot());
  };
  const status = async () => app.text(await app.find('[data-testid="index-state"]'));

  before(async () => {
    for (const name of ["astronaut.png", "rocket.jpg", "coffee.png", "hubble_deep_field.jpg", "cat.png"]) {
      copyFileSync(join(FIXTURES, "photos", name), join(photos, name));
    }
    execFileSync("convert", [cat, "-quality", "60", copies[0]]);
    execFileSync("convert", [cat, "-resize", "50%", copies[1]]);
    mkdirSync(env.XDG_DATA_HOME, { recursive: true });
    run(["roots", "add", photos]);
    Object.assign(process.env, {
      PHOTOFIND_DATA_DIR: env.PHOTOFIND_DATA_DIR,
      PHOTOFIND_MODEL: env.PHOTOFIND_MODEL,
      PHOTOFIND_TEXT_MODEL: env.PHOTOFIND_TEXT_MODEL,
      XDG_DATA_HOME: env.XDG_DATA_HOME,
    });
    driver = await startTauriDriver();
    app = await Session.start(driver.url, binary);
    let said = "nothing yet";
    const upToDate = async () => /^Up to date/.test((said = await status())) || undefined;
    await waitFor(upToDate, { what: "indexing", timeoutMs: 120_000 }).catch(async (error) => {
      await shoot("duplicates-indexing-timeout").catch(() => {});
      throw new Error(`${error.message}; the status said "${said}"`);
    });
  });

  after(async () => {
    await app?.end().catch((error) => console.error(`ending the session: ${error.message}`));
    await driver?.stop();
  });

  it("the timeline shows the three cats as one tile whose count opens them", async () => {
    // The background grouping comes a few seconds after launch; the timeline then reloads.
    const count = await waitFor(() => app.find('[data-testid="timeline"] [data-testid="stack-count"]'), {
      what: "a stacked tile",
      timeoutMs: 30_000,
    });
    assert.equal(await app.text(count), "+2");
    const tiles = await js(`return [...document.querySelectorAll('[data-testid="timeline"] [data-testid="result"]')].map((c) => c.dataset.path);`);
    assert.equal(tiles.length, 5, `${tiles}`);
    assert.ok(tiles.includes(cat) && !tiles.some((t) => copies.includes(t)), `the largest cat stands for them: ${tiles}`);
    await app.click(count);
    const members = await waitFor(
      async () => {
        const paths = await js(`return [...document.querySelectorAll('[data-testid="stack-member"]')].map((m) => m.dataset.path);`);
        return paths.length === 3 ? paths : undefined;
      },
      { what: "the strip's three cats" },
    );
    assert.deepEqual([...members].sort(), [cat, ...copies].sort());
    await shoot("stack");
    await app.click(await app.find('[data-testid="stack-strip-close"]'));
  });

  it("the Duplicates view keeps the largest and moves the others to the trash after a yes", async () => {
    await app.click(await app.find('[data-testid="open-duplicates"]'));
    await waitFor(() => app.find('[data-testid="duplicate-group"]'), { what: "a duplicate group" });
    const rows = await js(`return [...document.querySelectorAll('[data-testid="duplicate-member"]')].map((m) => [m.dataset.path, !!m.querySelector('[data-testid="keeper"]')]);`);
    assert.equal(rows.length, 3, JSON.stringify(rows));
    assert.deepEqual(rows[0], [cat, true], "the largest, heaviest cat is kept");
    assert.deepEqual(rows.slice(1).map((r) => r[0]).sort(), [...copies].sort());
    assert.ok(rows.slice(1).every((r) => !r[1]));
    await shoot("duplicates");

    await app.click(await app.find('[data-testid="trash-selected"]'));
    await waitFor(() => app.find('[data-testid="trash-confirm"]'), { what: "the confirmation" });
    assert.ok(copies.every(existsSync), "nothing moves before the yes");
    await shoot("duplicates-confirm");
    await app.click(await app.find('[data-testid="trash-confirm-yes"]'));
    await waitFor(() => copies.every((p) => !existsSync(p)) || undefined, { what: "the copies to leave their folder" });
    assert.ok(existsSync(cat), "the keeper stays");
    for (const copy of copies) {
      const name = copy.split("/").pop();
      assert.ok(existsSync(join(trash, "files", name)), `${name} is in the trash`);
    }
    // The watcher removes them from the index; the group is gone from the view.
    await waitFor(async () => (await app.findAll('[data-testid="duplicate-group"]')).length === 0 || undefined, {
      what: "the group to go",
      timeoutMs: 30_000,
    });
    await waitFor(
      () => {
        const left = JSON.parse(run(["search", "--json", "--limit", "10", "--image", cat])).map((h) => h.path);
        return !left.some((p) => copies.includes(p)) || undefined;
      },
      { what: "the index to follow the trash", timeoutMs: 30_000 },
    );
    await app.click(await app.find('[data-testid="open-duplicates"]'));
  });

  it("a German query is read by the multilingual text model, and the window says so", async () => {
    const input = await app.find('[data-testid="search-input"]');
    await app.type(input, "Zwei Katzen schlafen auf dem Sofa");
    const note = await waitFor(() => app.find('[data-testid="read-by"]'), { what: "who read the words" });
    assert.match(await app.text(note), /tiny-multilingual/);
    await waitFor(() => app.find('[data-testid="results"] [data-testid="result"]'), { what: "results" });
    await shoot("multilingual");
  });
});
