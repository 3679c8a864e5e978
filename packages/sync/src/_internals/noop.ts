/** Does nothing: the one function sync hands out where one is owed and nothing is to be done. */
export const NOOP = (): void => {};
