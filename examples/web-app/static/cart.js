// Lawful: a shopping cart { item: quantity }. Concurrent carts merge item by item, keeping the
// larger quantity (two devices adding the same item do not double it); keys come out sorted.
export const values = {
  type: "record",
  keys: ["apple", "fig", "pear"],
  values: { type: "integer", min: 1, max: 5 },
};

export function merge(a, b) {
  const out = {};
  for (const item of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    out[item] = Math.max(a[item] ?? 0, b[item] ?? 0);
  }
  return out;
}
