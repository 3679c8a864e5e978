/**
 * A key no script can guess, for locking a sandbox's own functions to the host: it never enters
 * a script's reach and decides nothing a script reads (randomness here is a capability, not data).
 * @internal
 */
export function randomKey(): number {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return ((words[0] as number) & 0x1fffff) * 2 ** 32 + (words[1] as number) + 1;
}
