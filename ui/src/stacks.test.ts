// Near-duplicate stacks in the window: Rust sends a group as one hit or timeline photo with the
// others in `also`; the tile's count opens the group (after the tile in results, in a strip in
// the timeline) and closes it again.
import { afterEach, expect, test, vi } from "vitest";
import type { Photo, TimelinePage } from "./ipc";
import { allByTestId, byTestId, cleanup, click, fakeBackend, get, hit, press, renderApp, results, settle, typeInto } from "./test/backend";

afterEach(cleanup);

function photo(path: string, id: number): Photo {
  const taken = "2023-07-02T10:00:00";
  return { path, paths: [path], offline: false, captured: taken, taken, format: "jpeg", width: 400, height: 300, size: 1000, id };
}

const BURST = [photo("/p/burst-2.jpg", 2), photo("/p/burst-3.jpg", 3)];

test("a stacked hit opens into its group right after it, and closes again", async () => {
  const stacked = hit("/p/burst-1.jpg", { id: 1, also: BURST });
  const backend = fakeBackend().on("search", () => results([stacked, hit("/p/other.jpg", { id: 9 })]));
  const page = await renderApp(backend);
  typeInto(get(page, "search-input"), "burst");
  press(get(page, "search-input"), "Enter");
  await settle();
  const paths = (): string[] => allByTestId(page, "result").map((r) => r.dataset.path ?? "");
  await vi.waitFor(() => expect(paths()).toEqual(["/p/burst-1.jpg", "/p/other.jpg"]));
  const count = get(page, "stack-count");
  expect(count.textContent).toBe("+2");
  expect(count.getAttribute("aria-expanded")).toBe("false");

  click(count);
  await settle();
  expect(paths()).toEqual(["/p/burst-1.jpg", "/p/burst-2.jpg", "/p/burst-3.jpg", "/p/other.jpg"]);
  expect(get(page, "stack-count").getAttribute("aria-expanded")).toBe("true");
  expect(byTestId(page, "preview")).toBeNull();

  click(get(page, "stack-count"));
  await settle();
  expect(paths()).toEqual(["/p/burst-1.jpg", "/p/other.jpg"]);
});

test("a stacked timeline photo opens its group in a strip; Escape closes it", async () => {
  const tile = { ...photo("/p/burst-1.jpg", 1), also: BURST };
  const page: TimelinePage = { total: 2, months: [{ month: "2023-07", count: 2 }], offset: 0, photos: [tile, photo("/p/x.jpg", 7)] };
  const backend = fakeBackend().on("timeline", () => page);
  const window = await renderApp(backend);
  await vi.waitFor(() => expect(allByTestId(window, "result")).toHaveLength(2));
  expect(allByTestId(window, "stack-count")).toHaveLength(1);

  click(get(window, "stack-count"));
  await settle();
  const members = allByTestId(window, "stack-member").map((m) => m.dataset.path);
  expect(members).toEqual(["/p/burst-1.jpg", "/p/burst-2.jpg", "/p/burst-3.jpg"]);
  expect(get(window, "stack-strip").textContent).toContain("3 near-identical photos");

  press(get(window, "timeline"), "Escape");
  await settle();
  expect(byTestId(window, "stack-strip")).toBeNull();
});
