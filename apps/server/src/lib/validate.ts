import type { Static, TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { AppError } from '../errors.js';

export interface FieldError {
  /** JSON pointer to the offending field, e.g. `/name`. */
  readonly pointer: string;
  readonly message: string;
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/**
 * Checks input against the same schema the HTTP route declares, so the CLI and the API accept
 * exactly the same things. Throws VALIDATION_FAILED listing every bad field.
 */
export function validate<T extends TSchema>(schema: T, input: unknown): Static<T> {
  let check = compiled.get(schema);
  if (check === undefined) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  if (check.Check(input)) return input as Static<T>;
  const errors: FieldError[] = [...check.Errors(input)].map((e) => {
    const choices = constantsOf(e.schema);
    return {
      pointer: e.path === '' ? '/' : e.path,
      message: choices === undefined ? e.message : mustBeOneOf(choices),
    };
  });
  throw validationError(errors);
}

/** The values of a union of constants (`Type.Union([Type.Literal('a'), …])`), else undefined. */
function constantsOf(schema: TSchema): unknown[] | undefined {
  const members = (schema as { anyOf?: unknown }).anyOf;
  if (!Array.isArray(members) || members.length === 0) return undefined;
  const values = members.map((member: { const?: unknown }) => member.const);
  return values.every((value) => value !== undefined) ? values : undefined;
}

/** `must be one of "basic", "dual", "average"`: what a union of constants says when missed. */
export function mustBeOneOf(choices: readonly unknown[]): string {
  return `must be one of ${choices.map((choice) => JSON.stringify(choice)).join(', ')}`;
}

export function validationError(errors: readonly FieldError[]): AppError {
  const first = errors[0];
  const detail =
    first === undefined ? 'The request is invalid.' : `${first.pointer}: ${first.message}`;
  return new AppError('VALIDATION_FAILED', detail, { extensions: { errors } });
}
