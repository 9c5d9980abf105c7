// The failed files: the count comes with the status, the rows a page at a time on request.
import { afterEach, expect, test, vi } from "vitest";
import type { FailureInfo, FailurePage, IndexStatus } from "./ipc";
import { FAILURE_PAGE } from "./lib/failures.svelte";
import {
  IDLE,
  allByTestId,
  byTestId,
  cleanup,
  click,
  deferred,
  fakeBackend,
  get,
  renderApp,
  rustEmits,
  settle,
} from "./test/backend";

afterEach(cleanup);

/** `count` failures named /photos/00000.jpg, /photos/00001.jpg… */
function failuresNamed(count: number): FailureInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    path: `/photos/${String(i).padStart(5, "0")}.jpg`,
    reason: "empty file",
  }));
}

/** Answers `failures` as Rust does: a slice of `all`, with the total. */
function pagesOf(all: () => FailureInfo[]) {
  return ({ offset, limit }: { offset: number; limit: number }): FailurePage => ({
    total: all().length,
    failures: all().slice(offset, offset + Math.min(limit, 500)),
  });
}

const FAILING: IndexStatus = { ...IDLE, failures: 10_000 };

test("the count comes from the status, and no row is fetched until the list is opened", async () => {
  const all = failuresNamed(10_000);
  const backend = fakeBackend()
    .on("index_status", () => FAILING)
    .on("failures", pagesOf(() => all));
  const page = await renderApp(backend);

  expect(get(page, "failed-count").textContent).toContain("10,000 files could not be indexed");
  for (let done = 1; done <= 5; done += 1) await rustEmits("index-status", { ...FAILING, done });
  expect(backend.argsOf("failures")).toEqual([]);
  expect(allByTestId(page, "failure")).toEqual([]);
});

test("Show loads the first page; Show more appends the next", async () => {
  const all = failuresNamed(10_000);
  const backend = fakeBackend()
    .on("index_status", () => FAILING)
    .on("failures", pagesOf(() => all));
  const page = await renderApp(backend);

  click(get(page, "show-failures"));
  await vi.waitFor(() => expect(allByTestId(page, "failure")).toHaveLength(FAILURE_PAGE));
  expect(get(page, "failures-shown").textContent).toContain("Showing 100 of 10,000");
  const [first] = allByTestId(page, "failure");
  expect(first?.dataset.path).toBe("/photos/00000.jpg");
  expect(first?.textContent).toContain("empty file");

  click(get(page, "more-failures"));
  await vi.waitFor(() => expect(allByTestId(page, "failure")).toHaveLength(2 * FAILURE_PAGE));
  expect(allByTestId(page, "failure")[100]?.dataset.path).toBe("/photos/00100.jpg");
  expect(backend.argsOf("failures")).toEqual([
    { offset: 0, limit: FAILURE_PAGE },
    { offset: 100, limit: FAILURE_PAGE },
  ]);
  expect(get(page, "failures-shown").textContent).toContain("Showing 200 of 10,000");
});

test("scrolling to the end of the list fetches the next page, once", async () => {
  const all = failuresNamed(1_000);
  const next = deferred<FailurePage>();
  const backend = fakeBackend()
    .on("index_status", () => ({ ...IDLE, failures: 1_000 }))
    .on("failures", (args: { offset: number; limit: number }) =>
      args.offset === 0 ? pagesOf(() => all)(args) : next.promise,
    );
  const page = await renderApp(backend);
  click(get(page, "show-failures"));
  await vi.waitFor(() => expect(allByTestId(page, "failure")).toHaveLength(100));

  const list = get(page, "failure-list");
  vi.spyOn(list, "scrollHeight", "get").mockReturnValue(4000);
  vi.spyOn(list, "clientHeight", "get").mockReturnValue(256);
  list.scrollTop = 3700;
  list.dispatchEvent(new Event("scroll"));
  list.dispatchEvent(new Event("scroll"));
  await settle();
  expect(backend.argsOf("failures")).toHaveLength(2);
  expect(get(page, "failures-shown").textContent).toContain("Loading");

  next.resolve(pagesOf(() => all)({ offset: 100, limit: 100 }));
  await vi.waitFor(() => expect(allByTestId(page, "failure")).toHaveLength(200));
});

test("new failures while the list is open offer a refresh instead of refetching on every tick", async () => {
  let all = failuresNamed(3);
  const backend = fakeBackend()
    .on("index_status", () => ({ ...IDLE, failures: 3 }))
    .on("failures", pagesOf(() => all));
  const page = await renderApp(backend);
  click(get(page, "show-failures"));
  await vi.waitFor(() => expect(allByTestId(page, "failure")).toHaveLength(3));
  expect(byTestId(page, "more-failures")).toBeNull();
  expect(byTestId(page, "failures-changed")).toBeNull();

  all = failuresNamed(5);
  for (let done = 1; done <= 3; done += 1) await rustEmits("index-status", { ...IDLE, failures: 5, done });
  expect(backend.argsOf("failures")).toHaveLength(1);
  expect(allByTestId(page, "failure")).toHaveLength(3);
  expect(get(page, "failed-count").textContent).toContain("5 files");

  click(get(page, "refresh-failures"));
  await vi.waitFor(() => expect(allByTestId(page, "failure")).toHaveLength(5));
  expect(byTestId(page, "failures-changed")).toBeNull();
});

test("a page asked for before Hide lands nowhere, and no failures hides the list", async () => {
  const answer = deferred<FailurePage>();
  const backend = fakeBackend()
    .on("index_status", () => ({ ...IDLE, failures: 2 }))
    .on("failures", () => answer.promise);
  const page = await renderApp(backend);

  click(get(page, "show-failures"));
  click(get(page, "hide-failures"));
  answer.resolve({ total: 2, failures: failuresNamed(2) });
  await settle();
  expect(byTestId(page, "failure-list")).toBeNull();
  expect(byTestId(page, "show-failures")).not.toBeNull();

  await rustEmits("index-status", { ...IDLE, failures: 0 });
  expect(byTestId(page, "failures")).toBeNull();
});

test("a row that moved to the next page while paging is listed once", async () => {
  let all = failuresNamed(150);
  const backend = fakeBackend()
    .on("index_status", () => ({ ...IDLE, failures: 150 }))
    .on("failures", pagesOf(() => all));
  const page = await renderApp(backend);
  click(get(page, "show-failures"));
  await vi.waitFor(() => expect(allByTestId(page, "failure")).toHaveLength(100));

  // A failure sorted before the others is recorded: row 99 is now the 101st.
  all = [{ path: "/photos/", reason: "walk error" }, ...all];
  click(get(page, "more-failures"));
  await vi.waitFor(() => expect(allByTestId(page, "failure")).toHaveLength(150));
  const paths = allByTestId(page, "failure").map((row) => row.dataset.path);
  expect(new Set(paths).size).toBe(paths.length);
});
