// Unlawful: keeps whichever value comes first, so the result depends on the order of the values.
export const values = { type: "integer", min: 0, max: 5 };

export function resolve(values) {
  return values[0];
}
