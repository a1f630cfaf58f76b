import { text } from 'node:stream/consumers';
import { type Command, requireString, UsageError } from '../command.js';

export const userCreate: Command = {
  name: 'user create',
  summary: 'Create an account (the first one is the instance administrator)',
  usage: 'measurely user create --email E --password-stdin [--name N]',
  options: {
    email: { type: 'string' },
    name: { type: 'string' },
    'password-stdin': { type: 'boolean' },
  },
  async run({ io, values, withServices }) {
    const email = requireString(values, 'email');
    if (values['password-stdin'] !== true) {
      throw new UsageError('pass the password on standard input with --password-stdin');
    }
    const password = (await text(io.stdin)).replace(/\r?\n$/, '');
    const name = typeof values.name === 'string' ? values.name : undefined;
    // The first command of a new instance: it may create the database.
    const user = await withServices(
      (s) => s.accounts.createUser({ email, password, ...(name === undefined ? {} : { name }) }),
      { create: true },
    );
    return { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin };
  },
};
