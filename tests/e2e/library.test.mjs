// The desktop app over a real library: the fixture checkpoint (PHOTOFIND_MODEL) and a folder of
// fixture photos in a fresh data dir (PHOTOFIND_DATA_DIR), driven through WebDriver. Expected
// rankings come from the `photofind` CLI on the same data dir, so the app must agree with it.
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
const QUERY = "a rocket launch";

function targetDir() {
  const metadata = JSON.parse(
    execFileSync("cargo", ["metadata", "--format-version", "1", "--no-deps"], { cwd: REPO, encoding: "utf8" }),
  );
  return metadata.target_directory;
}

describe("desktop app over a library", { timeout: 180_000 }, () => {
  const target = targetDir();
  const binary = process.env.PHOTOFIND_DESKTOP_BIN ?? join(target, "debug", "photofind-desktop");
  const cli = process.env.PHOTOFIND_CLI_BIN ?? join(target, "debug", "photofind");
  const data = mkdtempSync(join(tmpdir(), "photofind-e2e-data-"));
  const photos = realpathSync(mkdtempSync(join(tmpdir(), "photofind-e2e-photos-")));
  const env = { ...process.env, PHOTOFIND_DATA_DIR: data, PHOTOFIND_MODEL: join(FIXTURES, "models", "tiny-p32-quickgelu") };
  let driver;
  let app;
  let expectedFirst;

  const run = (args) => execFileSync(cli, args, { env, encoding: "utf8" });
  const firstResult = async () => {
    const [first] = await app.findAll('[data-testid="result"]');
    return first === undefined ? undefined : app.attribute(first, "data-path");
  };
  /** The first result once new photos are shown: a commit marks the results outdated and the
   * user asks for the new ones (the page does not re-run a search on every commit). */
  const firstNewResult = async () => {
    await app.execute(`document.querySelector('[data-testid="results-outdated"] button')?.click(); return null;`);
    return firstResult();
  };
  const shoot = async (name) => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, `${name}.png`), await app.screenshot());
  };

  before(async () => {
    for (const name of ["rocket.jpg", "cat.png", "camera.png", "coffee.png", "hubble-tall.jpg"]) {
      copyFileSync(join(FIXTURES, "photos", name), join(photos, name));
    }
    run(["index", photos]);
    expectedFirst = JSON.parse(run(["search", "--json", QUERY]))[0].path;
    // The app inherits these through tauri-driver and WebKitWebDriver.
    Object.assign(process.env, { PHOTOFIND_DATA_DIR: env.PHOTOFIND_DATA_DIR, PHOTOFIND_MODEL: env.PHOTOFIND_MODEL });
    driver = await startTauriDriver();
    app = await Session.start(driver.url, binary);
  });

  after(async () => {
    await app?.end().catch((error) => console.error(`ending the session: ${error.message}`));
    await driver?.stop();
  });

  it("lists the folder with its photos", async () => {
    const folder = await waitFor(() => app.find(`[data-testid="folder"][data-path="${photos}"]`), { what: "the folder" });
    const count = await app.find('[data-testid="folder-photos"]');
    assert.equal(await app.text(count), "5 photos");
    assert.equal(await app.attribute(folder, "data-state"), "watching");
  });

  it("a typed query puts the photo the CLI ranks first first", async () => {
    const input = await app.find('[data-testid="search-input"]');
    await app.type(input, QUERY);
    await waitFor(async () => (await firstResult()) === expectedFirst || undefined, {
      what: `${expectedFirst} first`,
      timeoutMs: 20_000,
    });
    // Every cell's thumbnail is made and served (none dropped for good).
    await waitFor(
      async () =>
        (await app.execute(`
          const images = [...document.querySelectorAll('[data-testid="result"] img')];
          return images.length === 5 && images.every((img) => img.complete && img.naturalWidth > 0) || undefined;`)) ??
        undefined,
      { what: "the thumbnails to load", timeoutMs: 20_000 },
    );
    await shoot("text-query");
  });

  it("a picked image brings that photo first", async () => {
    await app.clear(await app.find('[data-testid="search-input"]'));
    const cat = join(photos, "cat.png");
    await app.pickOnlyImage(cat);
    await waitFor(async () => (await firstResult()) === cat || undefined, { what: "cat.png first", timeoutMs: 20_000 });
  });

  it("a photo copied into the folder shows up without a restart", async () => {
    const added = join(photos, "new-astronaut.png");
    copyFileSync(join(FIXTURES, "photos", "astronaut.png"), added);
    await app.pickOnlyImage(join(FIXTURES, "photos", "astronaut.png"));
    await waitFor(async () => (await firstNewResult()) === added || undefined, {
      what: "the new photo first",
      timeoutMs: 30_000,
    });
    await shoot("new-photo");
  });

  it("a photo whose name is not UTF-8 shows up with its thumbnail", async () => {
    // "n\xe9buleuse.jpg": a Latin-1 name, as old archives have. The page shows it lossy.
    const name = Buffer.concat([Buffer.from(`${photos}/n`), Buffer.from([0xe9]), Buffer.from("buleuse.jpg")]);
    copyFileSync(join(FIXTURES, "photos", "hubble_deep_field.jpg"), name);
    await app.pickOnlyImage(join(FIXTURES, "photos", "hubble_deep_field.jpg"));
    const shown = `${photos}/n\uFFFDbuleuse.jpg`;
    await waitFor(async () => (await firstNewResult()) === shown || undefined, {
      what: "the Latin-1 name first",
      timeoutMs: 30_000,
    });
    const loaded = await waitFor(
      async () =>
        (await app.execute(`
          const img = document.querySelector('[data-testid="result"] img');
          return img && img.complete && img.naturalWidth > 0 ? img.naturalWidth : undefined;`)) ?? undefined,
      { what: "its thumbnail to load", timeoutMs: 20_000 },
    );
    assert.ok(loaded > 0);
    await shoot("odd-name");
  });

  it("an iPhone HEIC shows up with its thumbnail, and the preview shows it larger and upright", async () => {
    const heic = join(photos, "IMG_0042.HEIC");
    copyFileSync(join(FIXTURES, "photos", "heif", "exif.heic"), heic);
    await app.pickOnlyImage(join(FIXTURES, "photos", "heif", "exif.heic"));
    await waitFor(async () => (await firstNewResult()) === heic || undefined, { what: "the HEIC first", timeoutMs: 30_000 });
    await waitFor(
      async () =>
        (await app.execute(`
          const img = document.querySelector('[data-testid="result"] img');
          return img && img.complete && img.naturalWidth > 0 || undefined;`)) ?? undefined,
      { what: "its thumbnail to load", timeoutMs: 20_000 },
    );
    await app.execute(`
      document.querySelector('[data-testid="result"]').dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
      return null;`);
    const view = await waitFor(
      async () =>
        (await app.execute(`
          const img = document.querySelector('[data-testid="preview"] img');
          return img && img.complete && img.naturalWidth > 0
            ? { src: img.getAttribute("src"), width: img.naturalWidth, height: img.naturalHeight }
            : undefined;`)) ?? undefined,
      { what: "the larger view to load", timeoutMs: 20_000 },
    );
    assert.match(view.src, /^(view:\/\/localhost|http:\/\/view\.localhost)\//, "a JPEG Rust makes, not the file");
    assert.ok(view.height > view.width, `upright by the container's rotation (${view.width}×${view.height})`);
    await shoot("heic-preview");
    await app.execute(`
      document.querySelector('[data-testid="preview"] button[aria-label="Close preview"]').click();
      return null;`);
  });

  it("removing the folder takes its photos out of the results", async () => {
    const remove = await app.find(`[data-testid="folder"][data-path="${photos}"] button`);
    await app.click(remove);
    await waitFor(async () => (await app.findAll('[data-testid="result"]')).length === 0 || undefined, {
      what: "no results left",
      timeoutMs: 20_000,
    });
    assert.equal((await app.findAll('[data-testid="folder"]')).length, 0);
    await shoot("folder-removed");
  });
});
