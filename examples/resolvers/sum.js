// Unlawful: summing is not idempotent — merging a value with itself doubles it.
export const values = { type: "integer", min: 1, max: 10 };

export function merge(a, b) {
  return a + b;
}
