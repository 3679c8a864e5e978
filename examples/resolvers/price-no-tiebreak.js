// Unlawful (subtly): the lowest price wins, but equal prices keep the left value, so two offers
// at the same price from different sellers resolve differently depending on order.
export const values = {
  type: "object",
  properties: { price: { type: "integer", min: 1, max: 3 }, seller: { enum: ["a", "b", "c"] } },
};

export function merge(a, b) {
  return b.price < a.price ? b : a;
}
