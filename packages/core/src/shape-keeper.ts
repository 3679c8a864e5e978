/**
 * One emptied instance per short-lived class on the hot path of an apply (the payload decoder, its
 * reader, the key matcher), kept for the life of the module.
 *
 * Why: V8 describes an object's layout with a hidden class, built as fields are first written. A
 * hidden class that no live object uses is freed by a full garbage collection, and the optimised
 * code that relied on it is thrown away with it. Every object an apply creates is dead once it
 * returns, so after a collection the next apply would relearn those classes and deoptimise its
 * merge loop part-way through (measured: a 100k-key merge ran about 2× slower after a collection).
 * Keeping one instance alive — emptied first, so it holds no payload or key data — keeps the
 * classes, and the compiled code, alive.
 */
const kept = new Map<string, object>();

/** Keeps `instance` (already emptied by its owner) as the shape keeper of class `name`. */
export function keepShape(name: string, instance: object): void {
  kept.set(name, instance);
}
