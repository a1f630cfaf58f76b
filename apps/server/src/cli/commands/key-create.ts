import { loadConfig } from '../../config.js';
import { OPERATOR } from '../../lib/actor.js';
import { type CreateKeyBody, KeyScope } from '../../modules/keys/keys.schemas.js';
import { trackerSnippet } from '../../modules/keys/tracker-snippet.js';
import { type Command, requireChoice, requireString, UsageError } from '../command.js';

const SCOPES = KeyScope.anyOf.map((scope) => scope.const);

/** Repeated `--origin` flags, each possibly a comma-separated list. */
function originList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value])
    .flatMap((entry) => String(entry).split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (list.length === 0) throw new UsageError('--origin takes an origin, e.g. https://example.com');
  return list;
}

export const keyCreate: Command = {
  name: 'key create',
  summary: 'Create an API key; its secret is printed once (a public key also prints its snippet)',
  usage:
    'measurely key create --project ID --name N --scope ingest|read|public [--origin https://example.com]…',
  options: {
    project: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string' },
    origin: { type: 'string', multiple: true },
  },
  async run({ io, values, withServices }) {
    const projectId = requireString(values, 'project');
    const origins = originList(values.origin);
    const body: CreateKeyBody = {
      name: requireString(values, 'name'),
      scope: requireChoice(values, 'scope', SCOPES),
      ...(origins === undefined ? {} : { origins }),
    };
    const key = await withServices((s) => s.keys.createKey(OPERATOR, projectId, body));
    const created = { id: key.id, name: key.name, scope: key.scope, apiKey: key.secret };
    if (key.publishableKey === undefined) return created;
    const config = loadConfig(io.env, io.cwd);
    const scriptUrl = config.tracker.scriptUrl ?? `${config.publicUrl}/track.js`;
    return {
      ...created,
      origins: key.origins,
      snippet: trackerSnippet(scriptUrl, key.publishableKey),
    };
  },
};
