import { expect, test } from "vitest";
import { pathInFolder, pathKey, pathName, pathText, samePath } from "./paths";

// "/p/caf\xe9.jpg" and "/p/caf\xe8.jpg": Latin-1 names, not UTF-8; both read "/p/caf�.jpg".
const E_ACUTE = { bytes: "L3AvY2Fm6S5qcGc=", lossy: "/p/caf\uFFFD.jpg" };
const E_GRAVE = { bytes: "L3AvY2Fm6C5qcGc=", lossy: "/p/caf\uFFFD.jpg" };

test("a path reads as its text, or its lossy form when it is not UTF-8", () => {
  expect(pathText("/p/a b.jpg")).toBe("/p/a b.jpg");
  expect(pathText(E_ACUTE)).toBe("/p/caf\uFFFD.jpg");
  expect(pathName(E_ACUTE)).toBe("caf\uFFFD.jpg");
});

test("two names that read the same but differ in bytes are different files", () => {
  expect(pathText(E_ACUTE)).toBe(pathText(E_GRAVE));
  expect(samePath(E_ACUTE, E_GRAVE)).toBe(false);
  expect(samePath(E_ACUTE, { ...E_ACUTE })).toBe(true);
  expect(samePath("/p/a.jpg", "/p/a.jpg")).toBe(true);
  // A plain path whose text is the lossy form is not the byte path either.
  expect(pathKey(E_ACUTE)).not.toBe(pathKey(E_ACUTE.lossy));
});

test("a path reads relative to the folder that holds it", () => {
  const folders = ["/home/ann/Pictures", "/media/usb/", E_ACUTE.lossy.replace("/caf\uFFFD.jpg", "")];
  expect(pathInFolder("/home/ann/Pictures/2019/beach.jpg", folders)).toBe("2019/beach.jpg");
  expect(pathInFolder("/media/usb/dcim/a.jpg", folders)).toBe("dcim/a.jpg");
  expect(pathInFolder(E_ACUTE, folders)).toBe("caf\uFFFD.jpg");
  // A folder whose name only starts the same is not the one holding it.
  expect(pathInFolder("/home/ann/Pictures-old/a.jpg", folders)).toBe("/home/ann/Pictures-old/a.jpg");
});
