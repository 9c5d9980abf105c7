// The photo viewer on its own: the URLs it asks Rust for, moving through the photos, zooming,
// its details and its actions. Rust is the fake backend; the viewer is mounted directly.
import { flushSync, mount, unmount } from "svelte";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import Preview, { fitWidth } from "./components/Preview.svelte";
import { photoSrc, thumbSrc, type PathJson, type Photo, type PhotoDetails } from "./ipc";
import { Alerts } from "./lib/alerts.svelte";
import { byTestId, cleanup, click, fakeBackend, get, press, settle, type FakeBackend } from "./test/backend";

/** "/p/caf\xe9.jpg" (Latin-1): a name that is not UTF-8. */
const LATIN1 = { bytes: "L3AvY2Fm6S5qcGc=", lossy: "/p/caf\uFFFD.jpg" };

const BOX = { width: 800, height: 600 };

function photo(path: PathJson, fields: Partial<Photo & { score: number; z: number | null }> = {}): Photo {
  return {
    path,
    paths: [path],
    offline: false,
    captured: "2023-07-14T18:03:00",
    taken: "2023-07-14T18:03:00",
    format: "jpeg",
    width: 4032,
    height: 3024,
    size: 2_400_000,
    id: 1,
    ...fields,
  };
}

const THREE = ["/photos/a.jpg", "/photos/b.jpg", "/photos/c.jpg"].map((path) => photo(path));

let viewer: { component: Record<string, unknown>; target: HTMLElement } | undefined;
let preloaded: string[] = [];

beforeEach(() => {
  vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(BOX.width);
  vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(BOX.height);
  preloaded = [];
  vi.stubGlobal(
    "Image",
    class {
      set src(url: string) {
        preloaded.push(url);
      }
    },
  );
});

afterEach(async () => {
  if (viewer) unmount(viewer.component);
  viewer = undefined;
  vi.unstubAllGlobals();
  await cleanup();
});

interface Shown {
  page: HTMLElement;
  backend: FakeBackend;
  moves: number[];
  closed: () => number;
  moreLike: PathJson[];
  alerts: Alerts;
}

async function show(photos: Photo[], index: number, details: Partial<PhotoDetails> = {}): Promise<Shown> {
  const backend = fakeBackend()
    .on("photo_details", () => ({ camera: null, lens: null, folder: "/photos", ...details }))
    .on("open_path", () => null)
    .on("reveal_path", () => null);
  const moves: number[] = [];
  const moreLike: PathJson[] = [];
  let closes = 0;
  const alerts = new Alerts();
  const target = document.body.appendChild(document.createElement("div"));
  const props = {
    photos,
    index,
    alerts,
    onmove: (to: number) => moves.push(to),
    onclose: () => (closes += 1),
    onmorelike: (path: PathJson) => moreLike.push(path),
  };
  viewer = { component: mount(Preview, { target, props }), target };
  await settle();
  return { page: target, backend, moves, closed: () => closes, moreLike, alerts };
}

function image(page: HTMLElement): HTMLImageElement {
  return get(page, "preview-image") as HTMLImageElement;
}

function thumbnail(page: HTMLElement): HTMLImageElement {
  const thumb = get(page, "preview").querySelector<HTMLImageElement>("img.thumb");
  if (!thumb) throw new Error("no thumbnail");
  return thumb;
}

function fire(target: HTMLElement, type: "load" | "error"): void {
  target.dispatchEvent(new Event(type));
  flushSync();
}

test("photoSrc asks the view protocol for a width, or the full size, by the path's bytes", () => {
  fakeBackend();
  expect(photoSrc("/photos/cat.jpg", 1500)).toBe("view://localhost/%2Fphotos%2Fcat.jpg?w=1500");
  expect(photoSrc("/photos/cat.jpg", 1499.2)).toBe("view://localhost/%2Fphotos%2Fcat.jpg?w=1500");
  expect(photoSrc("/photos/IMG 1.HEIC", "full")).toBe("view://localhost/%2Fphotos%2FIMG%201.HEIC?w=full");
  expect(photoSrc(LATIN1, 640)).toBe("view://localhost/%2Fp%2Fcaf%E9.jpg?w=640");
  expect(photoSrc("/photos/cat.jpg", Number.NaN)).toBe("view://localhost/%2Fphotos%2Fcat.jpg?w=1");
  // The photo's id names its content: an edited photo at the same path gets another URL.
  expect(photoSrc("/photos/cat.jpg", 1500, 7)).toBe("view://localhost/%2Fphotos%2Fcat.jpg?w=1500&v=7");
  expect(thumbSrc("/photos/cat.jpg", 0, 7)).toBe("thumb://localhost/%2Fphotos%2Fcat.jpg?v=7");
  expect(thumbSrc("/photos/cat.jpg", 2, 7)).toBe("thumb://localhost/%2Fphotos%2Fcat.jpg?v=7&attempt=2");
});

test.each([
  ["a landscape photo fills the box's width", BOX, { width: 4032, height: 3024 }, 1, 1024],
  ["at 2x it asks for twice the pixels", BOX, { width: 4032, height: 3024 }, 2, 1792],
  ["a portrait photo is as tall as the box", BOX, { width: 3024, height: 4032 }, 1, 768],
  ["never more than the photo has", BOX, { width: 500, height: 300 }, 2, 512],
  ["an unknown size asks for the box's longer side", BOX, { width: 0, height: 0 }, 1, 1024],
])("fitWidth: %s", (_, box, size, ratio, expected) => {
  expect(fitWidth(box, size, ratio)).toBe(expected);
});

test("the thumbnail shows at once and the photo itself takes its place once loaded", async () => {
  const { page } = await show(THREE, 1);

  expect(thumbnail(page).getAttribute("src")).toBe("thumb://localhost/%2Fphotos%2Fb.jpg?v=1");
  expect(image(page).getAttribute("src")).toBe("view://localhost/%2Fphotos%2Fb.jpg?w=1024&v=1");
  expect(image(page).classList.contains("shown")).toBe(false);
  expect(preloaded).toEqual([]);

  fire(image(page), "load");

  expect(image(page).classList.contains("shown")).toBe(true);
  expect(thumbnail(page).classList.contains("hidden")).toBe(true);
  // Then the neighbours, at the size they will be shown, so moving on is instant.
  expect(preloaded).toEqual(["view://localhost/%2Fphotos%2Fa.jpg?w=1024&v=1", "view://localhost/%2Fphotos%2Fc.jpg?w=1024&v=1"]);
});

test("a photo whose name is not UTF-8 is asked for by its bytes", async () => {
  const { page } = await show([photo(LATIN1)], 0);

  expect(image(page).getAttribute("src")).toBe("view://localhost/%2Fp%2Fcaf%E9.jpg?w=1024&v=1");
  expect(get(page, "preview-path").textContent).toBe(LATIN1.lossy);
});

test("the arrows and ←/→ move to the photo either side", async () => {
  const { page, moves } = await show(THREE, 1);

  click(get(page, "preview-prev"));
  click(get(page, "preview-next"));
  press(get(page, "preview"), "ArrowLeft");
  press(get(page, "preview-image"), "ArrowRight");

  expect(moves).toEqual([0, 2, 0, 2]);
});

test.each([
  ["first", 0, "preview-prev", "ArrowLeft"],
  ["last", 2, "preview-next", "ArrowRight"],
])("at the %s photo there is nowhere further to go", async (_, index, button, key) => {
  const { page, moves } = await show(THREE, index);

  expect((get(page, button) as HTMLButtonElement).disabled).toBe(true);
  press(get(page, "preview"), key);
  expect(moves).toEqual([]);
});

test("the viewer takes focus, and Escape closes it without reaching the window", async () => {
  const { page, closed } = await show(THREE, 0);
  const reachedWindow = vi.fn();
  window.addEventListener("keydown", reachedWindow);

  expect(document.activeElement).toBe(get(page, "preview"));
  press(get(page, "preview"), "Escape");
  click(get(page, "preview-close"));

  window.removeEventListener("keydown", reachedWindow);
  expect(closed()).toBe(2);
  expect(reachedWindow).not.toHaveBeenCalled();
});

test("100 % shows the full-size photo and Fit goes back to the box's size", async () => {
  const { page } = await show(THREE, 0);
  const toggle = get(page, "zoom-toggle");
  expect(toggle.textContent?.trim()).toBe("100 %");

  click(toggle);
  expect(image(page).getAttribute("src")).toBe("view://localhost/%2Fphotos%2Fa.jpg?w=full&v=1");
  expect(toggle.getAttribute("aria-pressed")).toBe("true");
  expect(get(page, "preview").textContent).toContain("Loading the full size");

  Object.defineProperty(image(page), "naturalWidth", { value: 4032 });
  Object.defineProperty(image(page), "naturalHeight", { value: 3024 });
  fire(image(page), "load");
  expect(image(page).style.width).toBe("4032px");
  expect(get(page, "preview").textContent).not.toContain("Loading the full size");

  press(get(page, "preview"), "0");
  expect(image(page).getAttribute("src")).toBe("view://localhost/%2Fphotos%2Fa.jpg?w=1024&v=1");
  press(get(page, "preview"), "+");
  expect(image(page).getAttribute("src")).toBe("view://localhost/%2Fphotos%2Fa.jpg?w=full&v=1");
});

test("the details name the camera and lens Rust read, and leave out what it did not find", async () => {
  const { page, backend } = await show(THREE, 0, { camera: "Apple iPhone 12", lens: null, folder: "/photos" });

  expect(backend.argsOf("photo_details")).toEqual([{ path: "/photos/a.jpg" }]);
  expect(get(page, "preview-camera").textContent).toBe("Apple iPhone 12");
  expect(byTestId(page, "preview-lens")).toBeNull();
  const text = get(page, "preview").textContent ?? "";
  expect(text).not.toContain("null");
  for (const expected of ["4032 × 3024 · 12 MP", "2.4 MB", "JPEG", "/photos", "on disk"]) {
    expect(text).toContain(expected);
  }
  expect(text).toContain(new Date(2023, 6, 14, 18, 3).toLocaleString());
  expect(text).not.toContain("Score");
});

test("a search hit shows its score and its other paths", async () => {
  const hit = { ...photo("/photos/a.jpg", { paths: ["/photos/a.jpg", "/backup/a.jpg"] }), score: 0.2871, z: 2.5 };
  const { page } = await show([hit], 0, { lens: "RF24-105mm F4 L IS USM" });

  const text = get(page, "preview").textContent ?? "";
  expect(text).toContain("0.287");
  expect(text).toContain("(z 2.50)");
  expect(text).toContain("Also at");
  expect(text).toContain("/backup/a.jpg");
  expect(get(page, "preview-lens").textContent).toBe("RF24-105mm F4 L IS USM");
});

test("Copy path writes the path to the clipboard and says so, briefly", async () => {
  const writeText = vi.fn(() => Promise.resolve());
  vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
  const { page } = await show(THREE, 0);
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });

  click(get(page, "copy-path"));
  await settle();

  expect(writeText).toHaveBeenCalledWith("/photos/a.jpg");
  expect(get(page, "preview").querySelector('[role="status"]')?.textContent).toBe("Copied");
  await vi.advanceTimersByTimeAsync(1_500);
  expect(get(page, "preview").querySelector('[role="status"]')?.textContent).toBe("");
});

test("without the clipboard API, Copy path copies a hidden text instead", async () => {
  vi.stubGlobal("navigator", { ...navigator, clipboard: undefined });
  const copied: string[] = [];
  const execCommand = vi.fn(() => {
    copied.push(document.querySelector("textarea")?.value ?? "");
    return true;
  });
  Object.defineProperty(document, "execCommand", { value: execCommand, configurable: true });
  const { page } = await show([photo(LATIN1)], 0);

  click(get(page, "copy-path"));
  await settle();

  expect(execCommand).toHaveBeenCalledWith("copy");
  expect(copied).toEqual([LATIN1.lossy]);
  expect(document.querySelector("textarea")).toBeNull();
  expect(get(page, "preview").querySelector('[role="status"]')?.textContent).toBe("Copied");
});

test("Open, Show in folder and More like this act on the photo", async () => {
  const { page, backend, moreLike } = await show(THREE, 2);

  click(button(page, "Open"));
  click(button(page, "Show in folder"));
  click(get(page, "more-like-this"));
  await settle();

  expect(backend.argsOf("open_path")).toEqual([{ path: "/photos/c.jpg" }]);
  expect(backend.argsOf("reveal_path")).toEqual([{ path: "/photos/c.jpg" }]);
  expect(moreLike).toEqual(["/photos/c.jpg"]);
});

test("an offline photo shows its thumbnail and says why, and cannot be opened", async () => {
  const { page } = await show([photo("/mnt/usb/a.jpg", { offline: true })], 0);

  expect(byTestId(page, "preview-image")).toBeNull();
  expect(thumbnail(page).getAttribute("src")).toBe("thumb://localhost/%2Fmnt%2Fusb%2Fa.jpg?v=1");
  expect(get(page, "preview-note").textContent).toContain("Offline");
  expect((get(page, "zoom-toggle") as HTMLButtonElement).disabled).toBe(true);
  expect((button(page, "Open") as HTMLButtonElement).disabled).toBe(true);
});

test("a view that fails is asked for again, then the thumbnail stays and the viewer says so", async () => {
  const { page } = await show(THREE, 0);
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  const base = "view://localhost/%2Fphotos%2Fa.jpg?w=1024&v=1";

  const seen: (string | null)[] = [];
  for (const wait of [1_000, 3_000]) {
    fire(image(page), "error");
    await vi.advanceTimersByTimeAsync(wait);
    seen.push(image(page).getAttribute("src"));
  }
  expect(seen).toEqual([`${base}&attempt=1`, `${base}&attempt=2`]);

  fire(image(page), "error");
  expect(byTestId(page, "preview-image")).toBeNull();
  expect(thumbnail(page).classList.contains("hidden")).toBe(false);
  expect(get(page, "preview-note").textContent).toContain("cannot be shown");
});

function button(page: HTMLElement, label: string): HTMLElement {
  const found = Array.from(page.querySelectorAll("button")).find((b) => b.textContent?.trim() === label);
  if (!found) throw new Error(`no button ${label}`);
  return found;
}
