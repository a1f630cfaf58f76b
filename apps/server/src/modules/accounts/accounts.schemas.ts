import { type Static, Type } from '@sinclair/typebox';

export const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^[^\\s@]+@[^\\s@]+$',
  description: 'E-mail address; compared case-insensitively.',
  examples: ['ada@example.com'],
});

export const Password = Type.String({
  minLength: 8,
  maxLength: 256,
  description: '8 to 256 characters.',
});

export const SignUpBody = Type.Object(
  {
    email: Email,
    password: Password,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type SignUpBody = Static<typeof SignUpBody>;

export const SignInBody = Type.Object(
  { email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 256 }) },
  { additionalProperties: false },
);
export type SignInBody = Static<typeof SignInBody>;

export const User = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
  isAdmin: Type.Boolean({ description: 'Instance administrator (the first account).' }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type User = Static<typeof User>;
