// The duplicates view: groups with their keeper first, the paths marked for the trash and the
// bytes they free, "Keep this", the confirmation before anything moves, what the trash did, and
// the refetch when the library changes.
import { flushSync } from "svelte";
import { afterEach, expect, test, vi } from "vitest";
import type { DuplicateMember, DuplicatesPage, PathJson } from "./ipc";
import { REFRESH_MS } from "./lib/duplicates.svelte";
import { allByTestId, byTestId, cleanup, click, fakeBackend, get, press, renderApp, rustEmits, settle } from "./test/backend";

afterEach(cleanup);

// "/p/caf\xe9.jpg" and "/p/caf\xe8.jpg" (Latin-1): different files that read the same.
const E_ACUTE = { bytes: "L3AvY2Fm6S5qcGc=", lossy: "/p/caf\uFFFD.jpg" };
const E_GRAVE = { bytes: "L3AvY2Fm6C5qcGc=", lossy: "/p/caf\uFFFD.jpg" };
const BEACH = "/home/ann/Pictures/holidays/beach.jpg";
const COPY = "/home/ann/Pictures/holidays/copies/beach (1).jpg";
const SMALL = "/home/ann/Pictures/old/beach-small.jpg";

function member(path: PathJson, size: number, id: number, keep = false): DuplicateMember {
  return { path, width: 4032, height: 3024, size, captured: "2023-07-14T18:03:00", keep, id };
}

/** Two groups of three, keeper first: 4.5 MB to free. */
const PAGE: DuplicatesPage = {
  total: 2,
  photos: 6,
  freed: 4_500_000,
  groups: [
    { photos: [member(BEACH, 3_000_000, 1, true), member(COPY, 2_000_000, 2), member(SMALL, 500_000, 3)] },
    { photos: [member("/p/cafe.jpg", 1_000_000, 4, true), member(E_ACUTE, 1_000_000, 5), member(E_GRAVE, 1_000_000, 6)] },
  ],
};

async function openDuplicates(page: DuplicatesPage | (() => unknown) = PAGE) {
  const backend = fakeBackend().on("duplicates", typeof page === "function" ? page : () => page);
  const root = await renderApp(backend);
  click(get(root, "open-duplicates"));
  await settle();
  return { backend, root };
}

const groups = (root: HTMLElement) => allByTestId(root, "duplicate-group");
const members = (group: HTMLElement) => allByTestId(group, "duplicate-member");
const toggle = (member: HTMLElement) => byTestId(member, "remove-toggle") as HTMLInputElement | null;
const text = (root: HTMLElement, id: string) => get(root, id).textContent?.replace(/\s+/g, " ").trim();

function untick(box: HTMLInputElement): void {
  box.checked = false;
  box.dispatchEvent(new Event("change", { bubbles: true }));
  flushSync();
}

test("each group shows its keeper first, badged Keep, and every other photo ticked for the trash", async () => {
  const { backend, root } = await openDuplicates();

  expect(backend.argsOf("duplicates")).toHaveLength(1);
  expect(get(root, "open-duplicates").getAttribute("aria-pressed")).toBe("true");
  expect(text(root, "duplicates-summary")).toBe("2 groups · 6 photos · 4.5 MB to free");
  expect(groups(root)).toHaveLength(2);
  for (const group of groups(root)) {
    const [keeper, ...others] = members(group);
    expect(byTestId(keeper!, "keeper")?.textContent).toBe("Keep");
    expect(toggle(keeper!)).toBeNull();
    expect(byTestId(keeper!, "make-keeper")).toBeNull();
    for (const other of others) {
      expect(byTestId(other, "keeper")).toBeNull();
      expect(toggle(other)?.checked).toBe(true);
      expect(byTestId(other, "make-keeper")).not.toBeNull();
    }
  }
  const [first, second] = groups(root);
  expect(members(first!).map((m) => m.dataset.path)).toEqual([BEACH, COPY, SMALL]);
  expect(members(second!).map((m) => m.dataset.path)).toEqual(["/p/cafe.jpg", E_ACUTE.lossy, E_GRAVE.lossy]);

  const copy = members(first!)[1]!;
  expect(copy.textContent).toContain("4032 × 3024");
  expect(copy.textContent).toContain("2.0 MB");
  const folder = copy.querySelector(".folder")!;
  expect(folder.textContent).toBe("/home/ann/Pictures/holidays/copies");
  expect(folder.getAttribute("title")).toBe(COPY);
  expect(copy.querySelector("img")?.getAttribute("src")).toContain("thumb");

  expect(text(first!, "group-freed")).toBe("2.5 MB to free");
  expect(text(second!, "group-freed")).toBe("2.0 MB to free");
  expect(text(root, "trash-selected")).toBe("Move 4 photos to the trash (4.5 MB)");
});

test("unticking a photo keeps it: the group's bytes and the total follow", async () => {
  const { root } = await openDuplicates();
  const first = groups(root)[0]!;

  untick(toggle(members(first)[1]!)!);

  expect(text(first, "group-freed")).toBe("500 kB to free");
  expect(text(root, "trash-selected")).toBe("Move 3 photos to the trash (2.5 MB)");
});

test("Keep this makes that photo the keeper and marks the old keeper in its place", async () => {
  const { root } = await openDuplicates();
  const first = groups(root)[0]!;

  click(get(members(first)[2]!, "make-keeper"));

  const [beach, copy, small] = members(first);
  expect(byTestId(small!, "keeper")).not.toBeNull();
  expect(toggle(small!)).toBeNull();
  expect(byTestId(beach!, "keeper")).toBeNull();
  expect(toggle(beach!)?.checked).toBe(true);
  expect(toggle(copy!)?.checked).toBe(true);
  expect(text(first, "group-freed")).toBe("5.0 MB to free");
  expect(text(root, "trash-selected")).toBe("Move 4 photos to the trash (7.0 MB)");
});

test("nothing goes to the trash before yes: Cancel and Escape send nothing", async () => {
  const { backend, root } = await openDuplicates();

  click(get(root, "trash-selected"));
  const dialog = text(root, "trash-confirm");
  expect(dialog).toContain("Move 4 photos (4.5 MB) to the trash?");
  expect(dialog).toContain("system trash");
  expect(dialog).toContain("nothing is deleted");
  expect(document.activeElement).toBe(get(root, "trash-confirm-no"));
  click(get(root, "trash-confirm-no"));
  expect(byTestId(root, "trash-confirm")).toBeNull();

  click(get(root, "trash-selected"));
  press(get(root, "trash-confirm-no"), "Escape");
  expect(byTestId(root, "trash-confirm")).toBeNull();
  expect(byTestId(root, "duplicates")).not.toBeNull();

  await settle();
  expect(backend.argsOf("trash_photos")).toEqual([]);
});

test("yes sends the marked paths exactly as Rust sent them, non-UTF-8 bytes and all", async () => {
  const { backend, root } = await openDuplicates();
  backend.on("trash_photos", ({ paths }: { paths: PathJson[] }) => paths.map((path) => ({ path, error: null })));

  click(get(root, "trash-selected"));
  click(get(root, "trash-confirm-yes"));
  await settle();

  expect(backend.argsOf("trash_photos")).toStrictEqual([{ paths: [COPY, SMALL, E_ACUTE, E_GRAVE] }]);
});

test("moved photos leave the view at once; one that could not be moved stays, with Rust's reason", async () => {
  const { backend, root } = await openDuplicates();
  backend.on("trash_photos", ({ paths }: { paths: PathJson[] }) =>
    paths.map((path) => ({ path, error: path === SMALL ? "Permission denied (os error 13)" : null })),
  );

  click(get(root, "trash-selected"));
  click(get(root, "trash-confirm-yes"));
  await settle();

  // The second group has its keeper left only: no longer a group.
  expect(groups(root)).toHaveLength(1);
  expect(members(groups(root)[0]!).map((m) => m.dataset.path)).toEqual([BEACH, SMALL]);
  expect(text(root, "trash-moved")).toBe("Moved 3 photos to the trash.");
  expect(allByTestId(root, "trash-moved-path").map((li) => li.textContent)).toEqual([COPY, E_ACUTE.lossy, E_GRAVE.lossy]);
  const failures = allByTestId(root, "trash-failure");
  expect(failures).toHaveLength(1);
  expect(failures[0]!.textContent).toContain(SMALL);
  expect(failures[0]!.textContent).toContain("Permission denied (os error 13)");
  expect(text(root, "duplicates-summary")).toBe("1 group · 2 photos · 500 kB to free");
  expect(text(root, "trash-selected")).toBe("Move 1 photo to the trash (500 kB)");

  // The index may not have followed yet: a refetch that still has them does not bring them back.
  await rustEmits("library-changed");
  await vi.waitFor(() => expect(backend.argsOf("duplicates")).toHaveLength(2));
  await settle();
  expect(groups(root)).toHaveLength(1);
  expect(members(groups(root)[0]!).map((m) => m.dataset.path)).toEqual([BEACH, SMALL]);
});

test("a trash that fails as a whole says so and removes nothing", async () => {
  const { backend, root } = await openDuplicates();
  vi.spyOn(console, "error").mockImplementation(() => {});
  backend.on("trash_photos", () => {
    throw { kind: "io", message: "The trash is not available on this volume." };
  });

  click(get(root, "trash-selected"));
  click(get(root, "trash-confirm-yes"));
  await settle();

  expect(text(root, "trash-report-error")).toContain("The trash is not available on this volume.");
  expect(groups(root)).toHaveLength(2);
});

test("with no duplicates the view says so and what it looks for", async () => {
  const { root } = await openDuplicates({ total: 0, photos: 0, freed: 0, groups: [] });

  const empty = get(root, "duplicates-empty");
  expect(empty.textContent).toContain("No duplicates found");
  expect(empty.textContent).toContain("re-saved, resized, burst shots");
  expect(byTestId(root, "trash-selected")).toBeNull();
});

test("while Rust looks the view says so; a failure shows Rust's message; no model says one is needed", async () => {
  vi.spyOn(console, "error").mockImplementation(() => {});
  let answer: () => unknown = () => new Promise(() => {});
  const { root } = await openDuplicates(() => answer());
  expect(byTestId(root, "duplicates-loading")).not.toBeNull();

  answer = () => {
    throw { kind: "library", message: "The index is locked by another process." };
  };
  click(get(root, "open-duplicates"));
  click(get(root, "open-duplicates"));
  await settle();
  expect(text(root, "duplicates-error")).toContain("The index is locked by another process.");

  answer = () => {
    throw { kind: "no_model", message: "No model is loaded." };
  };
  click(get(root, "open-duplicates"));
  click(get(root, "open-duplicates"));
  await settle();
  expect(text(root, "duplicates-error")).toContain("A model is needed");
});

test("a library change refetches the groups once the changes settle, and the choices stay", async () => {
  let page = PAGE;
  const { backend, root } = await openDuplicates(() => page);
  untick(toggle(members(groups(root)[0]!)[1]!)!);
  const row = groups(root)[0];
  const scroller = get(root, "duplicates").querySelector<HTMLElement>(".scroller")!;
  scroller.scrollTop = 400;

  const third = { photos: [member("/q/a.jpg", 700_000, 7, true), member("/q/b.jpg", 700_000, 8)] };
  page = { ...PAGE, total: 3, photos: 8, freed: 5_200_000, groups: [...PAGE.groups, third] };
  await rustEmits("library-changed");
  await rustEmits("library-changed");
  await rustEmits("library-changed");
  expect(backend.argsOf("duplicates")).toHaveLength(1);

  await vi.waitFor(() => expect(groups(root)).toHaveLength(3));
  await new Promise((resolve) => setTimeout(resolve, REFRESH_MS + 50));
  expect(backend.argsOf("duplicates")).toHaveLength(2);
  // Refreshed in place: the same rows, scrolled where they were.
  expect(groups(root)[0]).toBe(row);
  expect(scroller.scrollTop).toBe(400);
  expect(toggle(members(groups(root)[0]!)[1]!)?.checked).toBe(false);
  expect(text(root, "trash-selected")).toBe("Move 4 photos to the trash (3.2 MB)");
});

test("the header button toggles the view; Settings and Duplicates close each other; Escape closes it", async () => {
  const { root } = await openDuplicates();
  expect(byTestId(root, "duplicates")).not.toBeNull();

  click(get(root, "open-settings"));
  expect(byTestId(root, "duplicates")).toBeNull();
  expect(byTestId(root, "settings")).not.toBeNull();
  expect(get(root, "open-duplicates").getAttribute("aria-pressed")).toBe("false");

  click(get(root, "open-duplicates"));
  expect(byTestId(root, "settings")).toBeNull();
  expect(byTestId(root, "duplicates")).not.toBeNull();

  press(document.body, "Escape");
  expect(byTestId(root, "duplicates")).toBeNull();
});

test("a long list renders a hundred groups at a time, and only groups shown are marked", async () => {
  const many = Array.from({ length: 250 }, (_, i) => ({
    photos: [member(`/m/${i}.jpg`, 1_000, i * 2, true), member(`/m/${i}-copy.jpg`, 1_000, i * 2 + 1)],
  }));
  const { root } = await openDuplicates({ total: 4000, photos: 8000, freed: 4_000_000, groups: many });

  expect(groups(root)).toHaveLength(100);
  expect(text(root, "duplicates-summary")).toContain("(the largest 250 shown)");
  expect(text(root, "trash-selected")).toBe("Move 100 photos to the trash (100 kB)");
  click(get(root, "duplicates-more"));
  expect(groups(root)).toHaveLength(200);
  expect(text(root, "trash-selected")).toBe("Move 200 photos to the trash (200 kB)");
  click(get(root, "duplicates-more"));
  expect(groups(root)).toHaveLength(250);
  expect(byTestId(root, "duplicates-more")).toBeNull();
});
