import { expect, test } from "vitest";
import {
  baseName,
  formatByteRate,
  formatBytes,
  formatCaptured,
  formatDimensions,
  formatEta,
  formatFormat,
  formatScore,
  formatTaken,
} from "./format";

test.each([
  [0, "0 B"],
  [999, "999 B"],
  [1500, "1.5 kB"],
  [351_000_000, "351 MB"],
  [2_400_000, "2.4 MB"],
  [1_234_000_000, "1.2 GB"],
])("formatBytes(%s) is %s", (bytes, expected) => {
  expect(formatBytes(bytes)).toBe(expected);
});

test.each([
  [null, "unknown"],
  [0, "0 s"],
  [44.4, "44 s"],
  [60, "1 min"],
  [3540, "59 min"],
  [3599, "1 h"],
  [3600, "1 h"],
  [3900, "1 h 5 min"],
])("formatEta(%s) is %s", (seconds, expected) => {
  expect(formatEta(seconds)).toBe(expected);
});

test("rates, scores, names and dates", () => {
  expect(formatByteRate(5_500_000)).toBe("5.5 MB/s");
  expect(formatScore(0.31415)).toBe("0.314");
  expect(baseName("/home/ann/Pictures/")).toBe("Pictures");
  expect(baseName("C:\\Users\\ann\\cat.jpg")).toBe("cat.jpg");
  expect(formatCaptured(null)).toBe("unknown");
  expect(formatCaptured("sometime in 1998")).toBe("sometime in 1998");
  expect(formatCaptured("2023:07:14 18:03:00")).toBe("2023:07:14 18:03:00");
  expect(formatCaptured("2023-07-14T18:03:00")).toBe(new Date(2023, 6, 14, 18, 3).toLocaleString());
});

test("a photo's date is its capture time, else its file's time in UTC, said to be the file's", () => {
  expect(formatTaken("2023-07-14T18:03:00", "2023-07-14T18:03:00")).toBe(new Date(2023, 6, 14, 18, 3).toLocaleString());
  expect(formatTaken(null, "2021-02-03T04:05:06")).toBe(
    `${new Date(Date.UTC(2021, 1, 3, 4, 5, 6)).toLocaleString()} (file date)`,
  );
  expect(formatTaken(null, undefined)).toBe("unknown");
  expect(formatTaken(null, "")).toBe("unknown");
});

test.each([
  [4032, 3024, "4032 × 3024 · 12 MP"],
  [3000, 2000, "3000 × 2000 · 6.0 MP"],
  [320, 200, "320 × 200"],
  [0, 0, "unknown"],
])("formatDimensions(%s, %s) is %s", (width, height, expected) => {
  expect(formatDimensions(width, height)).toBe(expected);
});

test("formats read in capitals", () => {
  expect(formatFormat("heic")).toBe("HEIC");
  expect(formatFormat("jpeg")).toBe("JPEG");
});
