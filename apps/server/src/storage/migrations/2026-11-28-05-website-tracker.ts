import { type Kysely, sql } from 'kysely';
import { runsOnSqlite } from '../dialect.js';

/**
 * The website tracker: a `public` key scope with the origins a key is allowed from (and the key
 * itself, publishable, to show its snippet again), the project's privacy-signal setting, and the
 * tracker's own tables — one random salt per UTC day, and the hashed visitors seen that day.
 *
 * Frozen: never edit a migration that has shipped; add a new one instead.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await rebuildApiKeys(db, ['ingest', 'read', 'public']);

  await db.schema
    .alterTable('projects')
    .addColumn('honour_privacy_signals', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('tracker_salts')
    .addColumn('day', 'text', (c) => c.primaryKey())
    .addColumn('salt', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tracker_visitors')
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('visitor_hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tracker_visitors_pk', ['project_id', 'day', 'visitor_hash'])
    .execute();
  // Days are deleted as a whole once over.
  await db.schema
    .createIndex('tracker_visitors_day')
    .on('tracker_visitors')
    .column('day')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tracker_visitors').execute();
  await db.schema.dropTable('tracker_salts').execute();
  await db.schema.alterTable('projects').dropColumn('honour_privacy_signals').execute();
  await db.deleteFrom('api_keys').where('scope', '=', 'public').execute();
  await rebuildApiKeys(db, ['ingest', 'read']);
}

/**
 * Gives api_keys the scopes listed and, with `public`, its two tracker columns. A public key
 * always has its origins and its publishable secret; no other key has either.
 */
// biome-ignore lint/suspicious/noExplicitAny: see up()
async function rebuildApiKeys(db: Kysely<any>, scopes: readonly string[]): Promise<void> {
  const withPublic = scopes.includes('public');
  const scopeCheck = sql`scope in (${sql.join(scopes.map((s) => sql.lit(s)))})`;
  const publicCheck = sql`(scope = 'public') = (allowed_origins is not null and publishable_key is not null)`;
  if (!runsOnSqlite(db)) {
    await sql`alter table api_keys drop constraint api_keys_scope`.execute(db);
    if (withPublic) {
      await db.schema.alterTable('api_keys').addColumn('allowed_origins', 'text').execute();
      await db.schema.alterTable('api_keys').addColumn('publishable_key', 'text').execute();
      await sql`alter table api_keys add constraint api_keys_public check (${publicCheck})`.execute(
        db,
      );
    } else {
      await sql`alter table api_keys drop constraint api_keys_public`.execute(db);
      await db.schema.alterTable('api_keys').dropColumn('publishable_key').execute();
      await db.schema.alterTable('api_keys').dropColumn('allowed_origins').execute();
    }
    await sql`alter table api_keys add constraint api_keys_scope check (${scopeCheck})`.execute(db);
    return;
  }
  // SQLite cannot change a CHECK constraint in place: copy into a new table and swap, in one
  // transaction so a crash leaves the old table as it was. Nothing references api_keys.
  await db.transaction().execute(async (trx) => {
    let next = trx.schema
      .createTable('api_keys_next')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) =>
        c.notNull().references('projects.id').onDelete('cascade'),
      )
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .addColumn('rotated_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .addCheckConstraint('api_keys_scope', scopeCheck);
    if (withPublic) {
      next = next
        .addColumn('allowed_origins', 'text')
        .addColumn('publishable_key', 'text')
        .addCheckConstraint('api_keys_public', publicCheck);
    }
    await next.execute();
    const columns = sql.join(
      [
        'id',
        'project_id',
        'name',
        'scope',
        'prefix',
        'secret_hash',
        'created_by',
        'created_at',
        'last_used_at',
        'rotated_at',
        'revoked_at',
      ].map((c) => sql.ref(c)),
    );
    await sql`insert into api_keys_next (${columns}) select ${columns} from api_keys`.execute(trx);
    await trx.schema.dropTable('api_keys').execute();
    await trx.schema.alterTable('api_keys_next').renameTo('api_keys').execute();
    await trx.schema
      .createIndex('api_keys_project_id')
      .on('api_keys')
      .column('project_id')
      .execute();
  });
}
