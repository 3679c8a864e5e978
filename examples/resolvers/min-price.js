// Lawful: the lowest price wins; equal prices are broken by the seller id, so the result never
// depends on the order values arrive in.
export const values = {
  type: "object",
  properties: { price: { type: "integer", min: 1, max: 5 }, seller: { enum: ["a", "b", "c"] } },
};

export function merge(a, b) {
  if (a.price !== b.price) return a.price < b.price ? a : b;
  return a.seller <= b.seller ? a : b;
}
