// First run without a model: what will be downloaded, the download's progress, its failure.
import { afterEach, expect, test, vi } from "vitest";
import type { ModelInfo } from "./ipc";
import { READY_MODEL, byTestId, cleanup, click, fakeBackend, get, renderApp, rustEmits } from "./test/backend";

afterEach(cleanup);

const MISSING: ModelInfo = { ...READY_MODEL, state: "missing" };

test("without a model the page says what will be downloaded: name, size and license", async () => {
  const backend = fakeBackend().on("model_status", () => MISSING);
  const page = await renderApp(backend);

  const setup = get(page, "model-download");
  expect(get(setup, "model-name").textContent).toBe("CLIP ViT-B/32");
  expect(get(setup, "model-size").textContent).toBe("351 MB");
  expect(get(setup, "model-license").textContent).toBe("MIT");
  expect(byTestId(setup, "model-error")).toBeNull();
});

test("Download starts it, and the progress bar follows model-progress until the model is ready", async () => {
  let model = MISSING;
  const backend = fakeBackend()
    .on("model_status", () => model)
    .on("download_model", () => {
      model = { ...MISSING, state: "downloading" };
      return null;
    });
  const page = await renderApp(backend);

  click(get(page, "download-model"));
  await vi.waitFor(() => expect(byTestId(page, "model-progress")).not.toBeNull());
  expect(backend.argsOf("download_model")).toHaveLength(1);

  await rustEmits("model-progress", {
    file: "model.safetensors",
    done: 120_000_000,
    total: 351_000_000,
    rate: 5_500_000,
    eta_seconds: 42,
  });
  const progress = get(page, "model-progress");
  expect(progress.textContent).toContain("120 MB of 351 MB");
  expect(progress.textContent).toContain("5.5 MB/s");
  expect(progress.textContent).toContain("42 s left");
  expect(progress.querySelector("progress")?.value).toBe(120_000_000);

  await rustEmits("model-status", READY_MODEL);
  expect(byTestId(page, "model-download")).toBeNull();
  expect(byTestId(page, "search-input")).not.toBeNull();
});

test("a download that fails after starting shows Rust's message and offers to try again", async () => {
  const backend = fakeBackend().on("model_status", () => ({ ...MISSING, state: "downloading" }));
  const page = await renderApp(backend);

  const message = "Could not reach huggingface.co: you seem to be offline. Connect and press Try again.";
  await rustEmits("model-status", { ...MISSING, message });

  expect(get(page, "model-error").textContent).toBe(message);
  expect(get(page, "download-model").textContent).toContain("Try again");
});

test("a download that cannot start shows Rust's message", async () => {
  const message = "Not enough disk space: 351 MB needed in ~/.cache/photofind.";
  const backend = fakeBackend()
    .on("model_status", () => MISSING)
    .on("download_model", () => {
      throw { kind: "disk_full", message };
    });
  const page = await renderApp(backend);
  vi.spyOn(console, "error").mockImplementation(() => {});

  click(get(page, "download-model"));

  await vi.waitFor(() => expect(byTestId(page, "model-error")?.textContent).toBe(message));
});
