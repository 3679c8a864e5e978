// What a lone incoming register value does to a key: the one action enum of the apply's lone lane.

/** The entry takes the general path: state objects merged by the resolver. */
export const GENERIC = 0;
/** The incoming value replaces the stored lone one (same replica, later). */
export const REPLACE_LONE = 2;
/** The incoming value is concurrent with the stored lone one (another replica's): they form a pair. */
export const ADD_CONCURRENT = 3;
/** The incoming value is already stored (or older): nothing changes. */
export const UNCHANGED = 4;
/** The key is new here and the incoming value was not seen before: it is stored as it is. */
export const NEW_LONE = 5;

/** One of the actions above. */
export type LoneAction =
  | typeof GENERIC
  | typeof REPLACE_LONE
  | typeof ADD_CONCURRENT
  | typeof UNCHANGED
  | typeof NEW_LONE;
