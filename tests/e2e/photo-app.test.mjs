// The desktop app as a photo app, from an empty library on: a folder added while it runs is
// indexed before the user's eyes, the library is a timeline by month, the preview shows the
// whole photo and moves with the arrows, filters (set in fields, or written in words) narrow
// what is shown, and the settings show the models. Every main state is saved as a screenshot
// (`tests/e2e/screenshots/`; `scripts/screenshots` copies the set to `docs/screenshots/`).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTauriDriver } from "./tauri-driver.mjs";
import { Session, waitFor } from "./webdriver.mjs";

const REPO = join(import.meta.dirname, "..", "..");
const FIXTURES = join(REPO, "tests", "fixtures");
const SCREENSHOTS = join(import.meta.dirname, "screenshots");
/** Generated photos: enough that indexing them takes the tiny model a few seconds. */
const GENERATED = 600;
const KEY = { escape: "\uE00C", right: "\uE014", left: "\uE012" };

function targetDir() {
  const metadata = JSON.parse(
    execFileSync("cargo", ["metadata", "--format-version", "1", "--no-deps"], { cwd: REPO, encoding: "utf8" }),
  );
  return metadata.target_directory;
}

/** A 24-bit BMP of `width`×`height` whose colours depend on `n`: distinct pixels, so distinct
 * photos and vectors, written without an image library. */
function bmp(n, width = 160, height = 120) {
  const row = Math.ceil((width * 3) / 4) * 4;
  const data = Buffer.alloc(54 + row * height);
  data.write("BM", 0);
  data.writeUInt32LE(data.length, 2);
  data.writeUInt32LE(54, 10);
  data.writeUInt32LE(40, 14);
  data.writeInt32LE(width, 18);
  data.writeInt32LE(height, 22);
  data.writeUInt16LE(1, 26);
  data.writeUInt16LE(24, 28);
  data.writeUInt32LE(row * height, 34);
  const [r, g, b] = [(n * 47) % 256, (n * 91) % 256, (n * 23 + (n >> 8) * 101) % 256];
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const at = 54 + y * row + x * 3;
      data[at] = (b + y) % 256;
      data[at + 1] = (g + x) % 256;
      data[at + 2] = (r + ((x * y) >> 6)) % 256;
    }
  }
  data.writeUInt32LE(n, 54); // the first pixels carry n: every file's bytes differ
  return data;
}

/** The file's time at noon UTC on `day` (`YYYY-MM-DD`): its date in the timeline (no EXIF). */
function dated(path, day) {
  const when = new Date(`${day}T12:00:00Z`);
  utimesSync(path, when, when);
  return path;
}

describe("the photo app", { timeout: 300_000 }, () => {
  const target = targetDir();
  const binary = process.env.PHOTOFIND_DESKTOP_BIN ?? join(target, "debug", "photofind-desktop");
  const cli = process.env.PHOTOFIND_CLI_BIN ?? join(target, "debug", "photofind");
  const data = mkdtempSync(join(tmpdir(), "photofind-e2e-app-data-"));
  const photos = realpathSync(mkdtempSync(join(tmpdir(), "photofind-e2e-app-photos-")));
  const env = { ...process.env, PHOTOFIND_DATA_DIR: data, PHOTOFIND_MODEL: join(FIXTURES, "models", "tiny-p32-quickgelu") };
  const paris = join(photos, "Trips", "Paris");
  let driver;
  let app;

  const run = (args) => execFileSync(cli, args, { env, encoding: "utf8" });
  /** Saves the window once what it shows has loaded and been painted: the thumbnails in view
   * (a few may still be on their way after `timeoutMs`; the picture is taken anyway). */
  const shoot = async (name) => {
    await waitFor(
      async () =>
        (await js(`
          const inView = [...document.querySelectorAll('[data-testid="result"] img')].filter((img) => {
            const box = img.getBoundingClientRect();
            return box.bottom > 0 && box.top < innerHeight;
          });
          return inView.every((img) => img.complete) || undefined;`)) ?? undefined,
      { what: `the thumbnails of ${name}`, timeoutMs: 5_000 },
    ).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 800));
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, `${name}.png`), await app.screenshot());
  };
  const js = (script, args) => app.execute(script, args);
  const texts = (css) => js(`return [...document.querySelectorAll(${JSON.stringify(css)})].map((e) => e.textContent.trim());`);
  const status = async () => app.text(await app.find('[data-testid="index-state"]'));
  const typeQuery = async (text) => {
    const input = await app.find('[data-testid="search-input"]');
    await app.clear(input);
    if (text) await app.type(input, text);
  };
  /** Sets a filter field as a user does: a change event after the new value. */
  const setField = (id, value) =>
    js(
      `const field = document.querySelector('[data-testid="${id}"]');
       field.value = arguments[0];
       field.dispatchEvent(new Event("change", { bubbles: true }));
       return null;`,
      [value],
    );

  before(async () => {
    // Known photos in dated folders, and many generated ones across the years.
    const known = [
      ["Trips/Paris", "rocket.jpg", "2019-06-10"],
      ["Trips/Paris", "cat.png", "2019-06-11"],
      ["Trips/Rome", "coffee.png", "2021-01-05"],
      ["Home", "astronaut.png", "2023-03-01"],
      ["Home", "hubble-tall.jpg", "2023-03-02"],
      ["Phone", "heif/exif.heic", "2024-08-20"],
    ];
    for (const [folder, name, day] of known) {
      mkdirSync(join(photos, folder), { recursive: true });
      const copy = join(photos, folder, name.split("/").pop());
      copyFileSync(join(FIXTURES, "photos", name), copy);
      dated(copy, day);
    }
    mkdirSync(join(photos, "Backup"), { recursive: true });
    for (let n = 0; n < GENERATED; n += 1) {
      const file = join(photos, "Backup", `IMG_${String(n).padStart(4, "0")}.bmp`);
      writeFileSync(file, bmp(n));
      const year = 2016 + (n % 8);
      dated(file, `${year}-${String((n % 12) + 1).padStart(2, "0")}-15`);
    }
    // The generated photos look alike to the tiny random model: stacked, most would fold into a
    // few tiles. Stacks have their own test (duplicates.test.mjs).
    Object.assign(process.env, {
      PHOTOFIND_DATA_DIR: env.PHOTOFIND_DATA_DIR,
      PHOTOFIND_MODEL: env.PHOTOFIND_MODEL,
      PHOTOFIND_STACKS: "off",
    });
    driver = await startTauriDriver();
    app = await Session.start(driver.url, binary);
  });

  after(async () => {
    await app?.end().catch((error) => console.error(`ending the session: ${error.message}`));
    await driver?.stop();
  });

  it("an empty library says how to start", async () => {
    const empty = await waitFor(() => app.find('[data-testid="empty-state"]'), { what: "the empty state" });
    assert.match(await app.text(empty), /No folders yet/);
    await shoot("empty-library");
  });

  it("a folder added while the app runs is indexed, and the window shows it happening", async () => {
    run(["roots", "add", photos]);
    await waitFor(async () => /^Indexing|to index/.test(await status()) || undefined, {
      what: "the indexing state",
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    await shoot("indexing");
    await waitFor(async () => /^Up to date/.test(await status()) || undefined, {
      what: "indexing to finish",
      timeoutMs: 120_000,
    });
  });

  it("the library is a timeline by month, newest first, with a year bar", async () => {
    await typeQuery("");
    await waitFor(() => app.find('[data-testid="timeline"] [data-testid="result"]'), { what: "the timeline" });
    // Newest first: the months in view, and the year bar (the HEIC's EXIF date, whatever it
    // is, is one of them; every generated year 2016–2023 is).
    const months = (await texts('[data-testid="month"]')).map((m) => Date.parse(`1 ${m.replace(/\s*\d+ photos?$/, "")}`));
    assert.ok(months.length > 0 && months.every((m, i) => i === 0 || m < months[i - 1]), `${months}`);
    const years = (await texts('[data-testid="year"]')).map(Number);
    assert.deepEqual(years, [...years].sort((a, b) => b - a));
    for (let year = 2016; year <= 2023; year += 1) assert.ok(years.includes(year), `${year} in ${years}`);
    await shoot("timeline");
    // Jumping to a year shows its months.
    await js(`[...document.querySelectorAll('[data-testid="year"]')].find((b) => b.textContent.trim() === "2019").click(); return null;`);
    await waitFor(
      async () => (await texts('[data-testid="month"]')).some((m) => /2019/.test(m)) || undefined,
      { what: "2019's months in view" },
    );
  });

  it("the preview shows the whole photo at the window's size, zooms to 100 %, and moves with the arrows", async () => {
    await typeQuery("from Paris");
    const rocket = join(paris, "rocket.jpg");
    const cell = `[data-testid="result"][data-path="${rocket}"]`;
    await waitFor(() => app.find(cell), { what: "rocket.jpg" });
    await js(`document.querySelector(arguments[0]).dispatchEvent(new MouseEvent("dblclick", { bubbles: true })); return null;`, [cell]);
    const natural = await waitFor(
      async () =>
        (await js(`
          const img = document.querySelector('[data-testid="preview-image"]');
          return img && img.complete && img.naturalWidth > 0 && img.src.startsWith("view:") ? [img.naturalWidth, img.src] : undefined;`)) ??
        undefined,
      { what: "the photo itself in the preview", timeoutMs: 20_000 },
    );
    assert.ok(natural[0] > 320, `the preview is larger than a thumbnail: ${natural}`);
    await shoot("preview");
    await app.click(await app.find('[data-testid="zoom-toggle"]'));
    await waitFor(
      async () => (await js(`return document.querySelector('[data-testid="preview-image"]').src.includes("w=full") || undefined;`)) ?? undefined,
      { what: "the full-size photo at 100 %" },
    );
    // rocket.jpg is the older of the two Paris photos: the last; ← goes to cat.png, → back.
    const path = async () => app.text(await app.find('[data-testid="preview-path"]'));
    assert.equal(await app.attribute(await app.find('[data-testid="preview-next"]'), "disabled"), "true");
    await app.type(await app.find('[data-testid="preview"]'), KEY.left);
    await waitFor(async () => ((await path()) === join(paris, "cat.png") ? true : undefined), { what: "← to cat.png" });
    await app.click(await app.find('[data-testid="preview-next"]'));
    await waitFor(async () => ((await path()) === rocket ? true : undefined), { what: "› back to rocket.jpg" });
    await app.type(await app.find('[data-testid="preview"]'), KEY.escape);
    await waitFor(async () => ((await app.findAll('[data-testid="preview"]')).length === 0 ? true : undefined), {
      what: "Escape to close the preview",
    });
  });

  it("filters written in words and set in fields narrow the timeline alike", async () => {
    await typeQuery("from Paris 2019");
    await waitFor(async () => ((await texts('[data-testid="filter-chip"]')).length === 2 ? true : undefined), {
      what: "two chips",
    });
    const chips = (await texts('[data-testid="filter-chip"]')).map((c) => c.replace("×", "").trim());
    assert.deepEqual(chips, ["folder Paris", "2019"]);
    const shown = async () => js(`return [...document.querySelectorAll('[data-testid="result"]')].map((c) => c.dataset.path).sort();`);
    await waitFor(async () => ((await shown()).length === 2 ? true : undefined), { what: "the two Paris photos" });
    assert.deepEqual(await shown(), [join(paris, "cat.png"), join(paris, "rocket.jpg")]);
    await shoot("filters");
    // A year without photos is a word, not a filter.
    await typeQuery("1984");
    await waitFor(async () => ((await app.findAll('[data-testid="no-match"]')).length > 0 ? true : undefined), {
      what: "1984 searched as text",
      timeoutMs: 20_000,
    });
    assert.deepEqual(await texts('[data-testid="filter-chip"]'), []);
    // The type field: only the HEIC.
    await typeQuery("");
    await setField("filter-type", "heif");
    await waitFor(async () => ((await shown()).length === 1 ? true : undefined), { what: "the HEIC alone" });
    assert.deepEqual(await shown(), [join(photos, "Phone", "exif.heic")]);
    await setField("filter-type", "");
  });

  it("a description nothing matches says so, and More like this finds good matches", async () => {
    await typeQuery("zebra crossing");
    const banner = await waitFor(() => app.find('[data-testid="no-match"]'), { what: "no good match", timeoutMs: 20_000 });
    assert.match(await app.text(banner), /No good match/);
    await shoot("no-good-match");
    await typeQuery("");
    const cat = join(paris, "cat.png");
    await app.pickOnlyImage(cat);
    await waitFor(
      async () =>
        (await js(`return document.querySelector('[data-testid="result"]')?.dataset.path === arguments[0] || undefined;`, [cat])) ??
        undefined,
      { what: "cat.png first", timeoutMs: 20_000 },
    );
    await shoot("results");
    const [chip] = await app.findAll('[data-testid="image-chip"] button');
    await app.click(chip);
  });

  it("a photo dragged from another app and dropped on the window is searched for", async () => {
    // A real XDND drop: a GTK drag source (another X client, like a file manager) and the
    // pointer driven by xdotool under the same Xvfb display the app runs on.
    const cat = join(paris, "cat.png");
    const source = spawn("/usr/bin/python3", [join(import.meta.dirname, "drag-source.py"), cat], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const [x, y] = await new Promise((resolve, reject) => {
        source.stdout.on("data", (chunk) => {
          const ready = /ready (\d+) (\d+)/.exec(String(chunk));
          if (ready) resolve([Number(ready[1]), Number(ready[2])]);
        });
        source.on("exit", (code) => reject(new Error(`the drag source exited (${code})`)));
      });
      const xdo = (...args) => execFileSync("xdotool", args.map(String));
      xdo("mousemove", x, y);
      xdo("mousedown", 1);
      for (const [dx, dy] of [[10, 10], [40, 40], [200, 200], [500, 350], [600, 400]]) {
        xdo("mousemove", x + dx, y + dy);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      xdo("mouseup", 1);
      await waitFor(
        async () => ((await texts('[data-testid="image-chip"]')).some((c) => c.includes("cat.png")) ? true : undefined),
        { what: "the dropped photo's chip", timeoutMs: 15_000 },
      );
      await waitFor(
        async () =>
          (await js(`return document.querySelector('[data-testid="result"]')?.dataset.path === arguments[0] || undefined;`, [cat])) ??
          undefined,
        { what: "the dropped photo first", timeoutMs: 20_000 },
      );
    } finally {
      source.kill();
    }
    const [chip] = await app.findAll('[data-testid="image-chip"] button');
    if (chip) await app.click(chip);
  });

  it("the settings show the models and the data dir", async () => {
    await app.click(await app.find('[data-testid="open-settings"]'));
    const dir = await waitFor(() => app.find('[data-testid="data-dir"]'), { what: "the settings" });
    await waitFor(async () => ((await app.text(dir)) === data ? true : undefined), { what: "the data dir" });
    assert.ok((await app.findAll('[data-testid="model"]')).length > 0, "the built-in models are listed");
    await shoot("settings");
    await app.click(await app.find('[data-testid="settings-close"]'));
  });
});
