import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one instead.
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('projects').addColumn('rate_limit_per_second', 'integer').execute();
  await db.schema.alterTable('projects').addColumn('monthly_event_quota', 'bigint').execute();

  // The raw event log: append-only, for audit, export and recomputation.
  await db.schema
    .createTable('events')
    .addColumn('metric_id', 'text', (c) => c.notNull().references('metrics.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .addColumn('filters', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('events_metric_ts')
    .on('events')
    .columns(['metric_id', 'ts'])
    .execute();

  // Additive rollups per bucket and dimension set: '' is every event of the bucket, a one-key
  // JSON object the events carrying that filter, a several-key object one exact filter combination.
  for (const level of ['minute', 'hour', 'day']) {
    await db.schema
      .createTable(`rollups_${level}`)
      .addColumn('metric_id', 'text', (c) =>
        c.notNull().references('metrics.id').onDelete('cascade'),
      )
      .addColumn('bucket', 'bigint', (c) => c.notNull())
      .addColumn('dims', 'text', (c) => c.notNull())
      .addColumn('pos', 'bigint', (c) => c.notNull())
      .addColumn('neg', 'bigint', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint(`rollups_${level}_pk`, ['metric_id', 'bucket', 'dims'])
      .execute();
  }

  await db.schema
    .createTable('metric_filter_values')
    .addColumn('metric_id', 'text', (c) => c.notNull().references('metrics.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('metric_filter_values_pk', ['metric_id', 'key', 'value'])
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('response', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['project_id', 'key'])
    .execute();
  await db.schema
    .createIndex('idempotency_keys_created_at')
    .on('idempotency_keys')
    .column('created_at')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'idempotency_keys',
    'metric_filter_values',
    'rollups_day',
    'rollups_hour',
    'rollups_minute',
    'events',
  ]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('projects').dropColumn('monthly_event_quota').execute();
  await db.schema.alterTable('projects').dropColumn('rate_limit_per_second').execute();
}
