/**
 * Dropping the keys whose value is undefined, in one place.
 *
 * Options objects are merged by spreading (`{ ...defaults, ...given }`) and sent as job payloads: a key that is
 * present with the value undefined overrides a default and travels as an explicit key, where an absent key does
 * neither. A call site that forwards many optional values therefore wants only the defined ones.
 */

/** `T` with every key that may hold undefined made optional and never undefined; the other keys as they are. */
export type DefinedFields<T extends object> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** A new object with the own enumerable string keys of `fields` whose value is not undefined (null is kept). */
export function definedFields<T extends object>(fields: T): DefinedFields<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out as DefinedFields<T>;
}
