/** The parser libraries throw on odd input; the linter never does. */
export function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
