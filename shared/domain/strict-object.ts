import * as z from 'zod';

/**
 * `z.strictObject` for configuration an operator writes: unknown keys are refused (a typo must not silently drop
 * a roster), and the object's own errors never quote a key that was sent, since a stray key may be a name or a
 * phone number.
 * @example strictObject({ id: z.string() }).safeParse({ id: 'a', '13812345678': 1 }) // 'has 1 unknown field(s); …'
 */
export function strictObject<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `has ${issue.keys.length} unknown field(s); only the documented fields are allowed`
        : issue.code === 'invalid_type'
          ? issue.input === undefined
            ? 'is required'
            : 'must be an object'
          : undefined,
  });
}
