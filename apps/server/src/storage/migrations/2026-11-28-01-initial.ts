import { type Kysely, sql } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // One administrator: two first sign-ups at the same instant cannot both become it.
  await sql`create unique index users_one_admin on users (is_admin) where is_admin = 1`.execute(db);

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('project_members')
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_members_pk', ['project_id', 'user_id'])
    .addCheckConstraint('project_members_role', sql`role in ('owner','admin','developer','guest')`)
    .execute();
  await db.schema
    .createIndex('project_members_user_id')
    .on('project_members')
    .column('user_id')
    .execute();

  await db.schema
    .createTable('project_usage')
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('event_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('project_usage_pk', ['project_id', 'month'])
    .execute();

  await db.schema
    .createTable('api_keys')
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
    .addCheckConstraint('api_keys_scope', sql`scope in ('ingest','read')`)
    .execute();
  await db.schema.createIndex('api_keys_project_id').on('api_keys').column('project_id').execute();

  await db.schema
    .createTable('metrics')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('unit_name', 'text')
    .addColumn('unit_symbol', 'text')
    .addColumn('positive_name', 'text')
    .addColumn('negative_name', 'text')
    .addColumn('total_positive', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('total_negative', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('event_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_event_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('metrics_type', sql`type in ('basic','dual','average')`)
    .execute();
  // Names are unique per project regardless of case: "Signups" and "signups" are one metric.
  await sql`create unique index metrics_project_name on metrics (project_id, lower(name))`.execute(
    db,
  );
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'metrics',
    'api_keys',
    'project_usage',
    'project_members',
    'projects',
    'sessions',
    'users',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
