import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-28-01-initial.js';
import * as ingestion from './2026-11-28-02-ingestion.js';
import * as query from './2026-11-28-03-query.js';
import * as passwordResets from './2026-11-28-04-password-resets.js';
import * as websiteTracker from './2026-11-28-05-website-tracker.js';
import * as eventBlocks from './2026-11-28-06-event-blocks.js';
import * as eventBlocksRowid from './2026-11-29-01-event-blocks-rowid.js';
import * as rollupFold from './2026-11-29-02-rollup-fold.js';
import * as invitations from './2026-11-29-03-invitations.js';

/** Every migration, in order. Names are date-prefixed; a shipped migration is never edited. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-28-01-initial': initial,
  '2026-11-28-02-ingestion': ingestion,
  '2026-11-28-03-query': query,
  '2026-11-28-04-password-resets': passwordResets,
  '2026-11-28-05-website-tracker': websiteTracker,
  '2026-11-28-06-event-blocks': eventBlocks,
  '2026-11-29-01-event-blocks-rowid': eventBlocksRowid,
  '2026-11-29-02-rollup-fold': rollupFold,
  '2026-11-29-03-invitations': invitations,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
