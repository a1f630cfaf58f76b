import { ApiError } from '../api/client';

export interface ErrorDescription {
  title: string;
  detail: string;
  /** One line per invalid field, when the server listed them. */
  fields: string[];
  /** For a fault on the server's side: what to quote when reporting it. */
  reference: string | undefined;
}

/** `/currentPassword` → "Current password". */
export function fieldLabel(pointer: string): string {
  const name = pointer.split('/').filter(Boolean).at(-1) ?? '';
  if (name === '') return 'The request';
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** What to tell a person about any error: an ApiError, a JavaScript error, anything thrown. */
export function describeError(error: unknown): ErrorDescription {
  if (error instanceof ApiError) {
    let detail = error.detail;
    if (error.retryAfterSeconds !== undefined && error.status === 429) {
      detail = `${detail.replace(/\.?$/, '.')} Try again in ${formatWait(error.retryAfterSeconds)}.`;
    }
    const fields = error.fieldErrors.map((f) => `${fieldLabel(f.pointer)}: ${f.message}`);
    // The detail of a validation error repeats its first field; the list says it better.
    if (error.code === 'VALIDATION_FAILED' && fields.length > 0) {
      detail = fields.length === 1 ? 'Check this field:' : 'Check these fields:';
    }
    return {
      title: error.title,
      detail,
      fields,
      reference: error.status >= 500 ? error.requestId : undefined,
    };
  }
  return {
    title: 'Something went wrong',
    detail:
      error instanceof Error && error.message !== ''
        ? error.message
        : 'An unexpected error happened. Reload the page and try again.',
    fields: [],
    reference: undefined,
  };
}

/**
 * Field errors of a VALIDATION_FAILED, keyed by field name, for a form to show under its inputs
 * (`form.setErrors(formErrors(error))`).
 */
export function formErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const errors: Record<string, string> = {};
  for (const { pointer, message } of error.fieldErrors) {
    const name = pointer.split('/').filter(Boolean)[0];
    if (name !== undefined && errors[name] === undefined) errors[name] = message;
  }
  return errors;
}
