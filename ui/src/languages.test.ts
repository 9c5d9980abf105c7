// Queries in other languages: the page says which text model read the words (Rust decides),
// the settings set when one does, and a text-only model is listed as what it is, never "Use".
import { afterEach, expect, test } from "vitest";
import type { ModelEntry } from "./ipc";
import { allByTestId, byTestId, cleanup, click, fakeBackend, get, hit, press, renderApp, results, settle, SETTINGS, typeInto } from "./test/backend";

afterEach(cleanup);

const CLIP: ModelEntry = {
  id: "clip-vit-base-patch32",
  name: "CLIP ViT-B/32",
  description: "the default",
  size: 605_157_884,
  size_known: true,
  dims: 512,
  license: "MIT",
  installed: "/data/models/clip-vit-base-patch32",
  current: true,
  next: false,
  reads_for: null,
};
const MULTILINGUAL: ModelEntry = {
  ...CLIP,
  id: "clip-vit-b-32-multilingual-v1",
  name: "Multilingual CLIP ViT-B/32 (text)",
  installed: "/data/models/clip-vit-b-32-multilingual-v1",
  current: false,
  reads_for: "clip-vit-base-patch32",
};

test("results read by the multilingual model say so, and an English search after them does not", async () => {
  const reason = "it has words of another language (hund, am)";
  let readBy: { model: string; reason: string } | null = { model: MULTILINGUAL.id, reason };
  const backend = fakeBackend().on("search", () => ({
    parsed: { text: "Hund am Strand", minus: [], chips: [] },
    results: results([hit("/p/dog.jpg")]),
    read_by: readBy,
  }));
  const page = await renderApp(backend);
  typeInto(get(page, "search-input"), "Hund am Strand");
  press(get(page, "search-input"), "Enter");
  await settle();
  expect(get(page, "read-by").textContent).toBe(`Words read by ${MULTILINGUAL.id}: ${reason}.`);

  readBy = null;
  typeInto(get(page, "search-input"), "dog on a beach");
  press(get(page, "search-input"), "Enter");
  await settle();
  expect(byTestId(page, "read-by")).toBeNull();
});

test("a text-only model is listed with the model it reads words for, and the mode is set through Rust", async () => {
  const backend = fakeBackend()
    .on("settings", () => ({ ...SETTINGS, models: [CLIP, MULTILINGUAL], in_use: CLIP.id, text_mode: "auto" }))
    .on("set_text_mode", () => null);
  const page = await renderApp(backend);
  click(get(page, "open-settings"));
  await settle();
  const [clip, text] = allByTestId(page, "model");
  expect(text!.querySelector('[data-testid="model-reads-for"]')?.textContent).toBe("Reads words for clip-vit-base-patch32");
  expect(text!.querySelector('[data-testid="model-use"]')).toBeNull();
  expect(clip!.querySelector('[data-testid="model-reads-for"]')).toBeNull();

  const mode = get(page, "text-mode") as HTMLSelectElement;
  expect(mode.value).toBe("auto");
  mode.value = "off";
  mode.dispatchEvent(new Event("change", { bubbles: true }));
  await settle();
  expect(backend.argsOf("set_text_mode")).toEqual([{ mode: "off" }]);
});
