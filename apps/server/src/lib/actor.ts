/**
 * Who is acting: a signed-in user (role checks apply), a `read` API key (reads its own project,
 * nothing else), or the operator at the command line (who has the machine, hence every right).
 */
export type Actor =
  | { readonly kind: 'user'; readonly userId: string }
  | { readonly kind: 'key'; readonly keyId: string; readonly projectId: string }
  | { readonly kind: 'operator' };

export const OPERATOR: Actor = { kind: 'operator' };
