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
  {
    additionalProperties: false,
    examples: [
      { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada Lovelace' },
    ],
  },
);
export type SignUpBody = Static<typeof SignUpBody>;

export const SignInBody = Type.Object(
  { email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 256 }) },
  {
    additionalProperties: false,
    examples: [{ email: 'ada@example.com', password: 'correct horse battery' }],
  },
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

export const USER_EXAMPLE: User = {
  id: '8d5e2f1a-6b3c-4d7e-9f0a-1b2c3d4e5f60',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  isAdmin: true,
  createdAt: '2026-11-28T12:00:00.000Z',
};

export const ForgotPasswordBody = Type.Object(
  { email: Type.String({ maxLength: 254 }) },
  { additionalProperties: false, examples: [{ email: 'ada@example.com' }] },
);

export const ResetPasswordBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200, description: 'From the reset link.' }),
    password: Password,
  },
  {
    additionalProperties: false,
    examples: [
      { token: 'q1Xz7cVt0bK2mN8pR4sW6yA3dF5gH9jL0eU2iO4aB7c', password: 'a new long password' },
    ],
  },
);
export type ResetPasswordBody = Static<typeof ResetPasswordBody>;

export const UpdateProfileBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false, examples: [{ name: 'Ada King' }] },
);
export type UpdateProfileBody = Static<typeof UpdateProfileBody>;

export const ChangePasswordBody = Type.Object(
  { currentPassword: Type.String({ maxLength: 256 }), newPassword: Password },
  {
    additionalProperties: false,
    examples: [{ currentPassword: 'correct horse battery', newPassword: 'a new long password' }],
  },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;
