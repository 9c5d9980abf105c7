// How numbers from Rust read on screen: sizes, rates, durations, scores and dates.

const SIZE_UNITS = ["B", "kB", "MB", "GB", "TB"];

/** A byte count in decimal units, e.g. `351 MB`, `1.2 GB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${SIZE_UNITS[unit]}`;
}

export function formatByteRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** A rough time left, e.g. `40 s`, `3 min`, `1 h 5 min`; `unknown` when Rust cannot tell. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "unknown";
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.round(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  return rest === 0 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 60)} h ${rest} min`;
}

export function formatCount(count: number): string {
  return count.toLocaleString();
}

/** A similarity score as shown on a result, three decimals. */
export function formatScore(score: number): string {
  return score.toFixed(3);
}

/**
 * A capture date from the photo's metadata, in the user's locale; the raw text unless it is
 * ISO 8601 (`Date` parses other text by guesswork).
 */
export function formatCaptured(captured: string | null): string {
  if (captured === null) return "unknown";
  const date = ISO_DATE.test(captured) ? new Date(captured) : undefined;
  return date === undefined || Number.isNaN(date.getTime()) ? captured : date.toLocaleString();
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/**
 * When a photo was taken: its EXIF capture time (the camera's local time), else `taken`, the
 * file's time in UTC, marked as the file's; `unknown` without either.
 */
export function formatTaken(captured: string | null, taken: string | null | undefined): string {
  if (captured !== null) return formatCaptured(captured);
  if (taken === null || taken === undefined || taken === "") return "unknown";
  const date = ISO_DATE.test(taken) ? new Date(/[Zz]|[+-]\d{2}:?\d{2}$/.test(taken) ? taken : `${taken}Z`) : undefined;
  const text = date === undefined || Number.isNaN(date.getTime()) ? taken : date.toLocaleString();
  return `${text} (file date)`;
}

/** A photo's size in pixels and megapixels, e.g. `4032 × 3024 · 12.2 MP`. */
export function formatDimensions(width: number, height: number): string {
  if (width <= 0 || height <= 0) return "unknown";
  const megapixels = (width * height) / 1_000_000;
  if (megapixels < 0.1) return `${width} × ${height}`;
  return `${width} × ${height} · ${megapixels.toFixed(megapixels >= 10 ? 0 : 1)} MP`;
}

/** An image format as people write it: `JPEG`, `HEIC`, `PNG`. */
export function formatFormat(format: string): string {
  return format.toUpperCase();
}

/** The last part of a path, for labels; the full path goes in a tooltip. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter((part) => part !== "");
  return parts.at(-1) ?? path;
}
