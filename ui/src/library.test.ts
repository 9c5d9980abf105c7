// The folders and indexing panels, and how the page follows Rust's library events.
import { afterEach, expect, test, vi } from "vitest";
import type { IndexStatus } from "./ipc";
import {
  HOLIDAYS,
  IDLE,
  allByTestId,
  byTestId,
  cleanup,
  click,
  fakeBackend,
  get,
  hit,
  press,
  renderApp,
  resultPaths,
  results,
  rustEmits,
  settle,
  typeInto,
} from "./test/backend";

afterEach(cleanup);

const USB = { path: "/media/ann/usb-stick/dcim", photos: 1, state: "offline" } as const;

const INDEXING: IndexStatus = {
  ...IDLE,
  state: "indexing",
  done: 250,
  total: 800,
  per_second: 12.5,
  eta_seconds: 44,
  embedded: 250,
  current: "/home/ann/Pictures/holidays/img_0251.jpg",
};

test("the folder list shows each folder's photo count and state", async () => {
  const backend = fakeBackend().on("roots", () => [{ ...HOLIDAYS, photos: 312 }, USB]);
  const page = await renderApp(backend);

  const folders = allByTestId(get(page, "folder-list"), "folder");
  expect(folders.map((folder) => folder.dataset.path)).toEqual([HOLIDAYS.path, USB.path]);
  expect(folders.map((folder) => byTestId(folder, "folder-photos")?.textContent)).toEqual(["312 photos", "1 photo"]);
  expect(folders.map((folder) => byTestId(folder, "folder-state")?.textContent)).toEqual(["watching", "offline"]);
});

test("Remove asks Rust to forget that folder and shows the list it has after", async () => {
  let roots = [HOLIDAYS, USB];
  const backend = fakeBackend()
    .on("roots", () => roots)
    .on("remove_root", ({ path }: { path: string }) => {
      roots = roots.filter((root) => root.path !== path);
      return 1;
    });
  const page = await renderApp(backend);

  click(get(page, "folder-list").querySelector<HTMLElement>(`[aria-label="Remove ${USB.path}"]`)!);

  await vi.waitFor(() => expect(allByTestId(page, "folder")).toHaveLength(1));
  expect(backend.argsOf("remove_root")).toEqual([{ path: USB.path }]);
});

test("Add folder opens Rust's dialog; a cancelled dialog changes nothing", async () => {
  let answer: typeof USB | null = null;
  const backend = fakeBackend()
    .on("roots", () => (answer ? [HOLIDAYS, answer] : [HOLIDAYS]))
    .on("add_root_dialog", () => answer);
  const page = await renderApp(backend);

  click(get(page, "add-folder"));
  await settle();
  expect(allByTestId(page, "folder")).toHaveLength(1);

  answer = USB;
  click(get(page, "add-folder"));
  await vi.waitFor(() => expect(allByTestId(page, "folder")).toHaveLength(2));
  expect(backend.argsOf("add_root_dialog")).toHaveLength(2);
});

test("with no folders the page says so and offers to add one", async () => {
  const backend = fakeBackend().on("roots", () => []);
  const page = await renderApp(backend);

  expect(get(page, "empty-state").textContent).toContain("No folders yet");
  expect(get(page, "empty-state").querySelector("button")?.textContent).toContain("Add folder");
});

test("the indexing panel shows done/total, rate and time left, and follows index-status events", async () => {
  const backend = fakeBackend().on("index_status", () => INDEXING);
  const page = await renderApp(backend);

  const panel = get(page, "index-progress");
  expect(get(panel, "index-counts").textContent).toBe("250 / 800");
  expect(get(panel, "index-rate").textContent).toContain("12.5 photos/s");
  expect(get(panel, "index-rate").textContent).toContain("44 s left");
  expect(panel.querySelector("progress")?.value).toBe(250);

  await rustEmits("index-status", { ...INDEXING, done: 700, eta_seconds: 8 });
  expect(get(panel, "index-counts").textContent).toBe("700 / 800");
});

test("while indexing, an empty search box says the index is still being built", async () => {
  const backend = fakeBackend().on("index_status", () => INDEXING);
  const page = await renderApp(backend);

  expect(get(page, "start-state").textContent).toContain("Still indexing");
  expect(get(page, "start-state").textContent).toContain("250 of 800");
});

test("Pause and Resume call Rust and the button follows the state it reports", async () => {
  let state: IndexStatus = INDEXING;
  const backend = fakeBackend()
    .on("index_status", () => state)
    .on("pause_indexing", () => {
      state = { ...state, state: "paused" };
      return null;
    })
    .on("resume_indexing", () => {
      state = { ...state, state: "indexing" };
      return null;
    });
  const page = await renderApp(backend);

  click(get(page, "pause"));
  await vi.waitFor(() => expect(byTestId(page, "resume")).not.toBeNull());
  expect(byTestId(page, "pause")).toBeNull();
  expect(get(page, "index-state").textContent).toContain("Paused");

  click(get(page, "resume"));
  await vi.waitFor(() => expect(byTestId(page, "pause")).not.toBeNull());
  expect(backend.calls.map((call) => call.cmd).filter((cmd) => cmd.endsWith("_indexing"))).toEqual([
    "pause_indexing",
    "resume_indexing",
  ]);
});

test("a model switch under way shows how far the next model has come", async () => {
  const switching = { model: "clip-vit-large-patch14", vectors: 1200, photos: 4800 };
  const backend = fakeBackend().on("index_status", () => ({ ...IDLE, switching }));
  const page = await renderApp(backend);

  const line = get(page, "switch-state");
  expect(line.textContent).toContain("clip-vit-large-patch14");
  expect(line.textContent).toContain("1,200 / 4,800");
  expect(get(page, "switch-progress").getAttribute("value")).toBe("1200");
});

test("an idle index has nothing to pause", async () => {
  const backend = fakeBackend().on("index_status", () => IDLE);
  const page = await renderApp(backend);

  expect(byTestId(page, "pause")).toBeNull();
  expect(byTestId(page, "resume")).toBeNull();
  expect(get(page, "index-state").textContent).toContain("Up to date · 3 photos");
});

test("library-changed refreshes the folders and offers the new results instead of re-running the search", async () => {
  let roots = [HOLIDAYS];
  let hits = [hit("/photos/old.jpg")];
  const backend = fakeBackend()
    .on("roots", () => roots)
    .on("search", () => results(hits));
  const page = await renderApp(backend);
  const input = get(page, "search-input");
  typeInto(input, "cat");
  press(input, "Enter");
  await settle();
  expect(resultPaths(page)).toEqual(["/photos/old.jpg"]);

  roots = [HOLIDAYS, USB];
  hits = [hit("/photos/new.jpg"), hit("/photos/old.jpg")];
  await rustEmits("library-changed");
  await rustEmits("library-changed");

  await vi.waitFor(() => expect(allByTestId(page, "folder")).toHaveLength(2));
  expect(resultPaths(page)).toEqual(["/photos/old.jpg"]);
  expect(backend.searches().map((request) => request.text)).toEqual(["cat"]);

  click(get(page, "results-outdated").querySelector("button")!);
  await vi.waitFor(() => expect(resultPaths(page)).toEqual(["/photos/new.jpg", "/photos/old.jpg"]));
  expect(byTestId(page, "results-outdated")).toBeNull();
  expect(backend.searches().map((request) => request.text)).toEqual(["cat", "cat"]);
});

test("a scan that finds nothing new reads as checking, not as indexing 0 of 0", async () => {
  const scanning: IndexStatus = { ...IDLE, state: "scanning", done: 0, total: 0, unchanged: 53_332 };
  const backend = fakeBackend().on("index_status", () => scanning);
  const page = await renderApp(backend);

  expect(get(page, "index-state").textContent).toContain("Checking folders… 53,332 checked");
  expect(byTestId(page, "index-counts")).toBeNull();
  expect(byTestId(page, "still-indexing")).toBeNull();
});

test("a failed folder action shows the message Rust gave", async () => {
  const backend = fakeBackend().on("remove_root", () => {
    throw { kind: "busy", message: "Indexing is writing to this folder; try again in a moment." };
  });
  const page = await renderApp(backend);
  vi.spyOn(console, "error").mockImplementation(() => {});

  click(get(page, "folder-list").querySelector<HTMLElement>(`[aria-label="Remove ${HOLIDAYS.path}"]`)!);

  await vi.waitFor(() =>
    expect(get(page, "error").textContent).toContain("Indexing is writing to this folder; try again in a moment."),
  );
});
