import { defineConfig } from 'drizzle-kit'

// `npm run db:generate -w @chat/store` diffs src/schema.ts against migrations/meta and writes the next SQL file.
// No database is needed to generate; migrate() (database.postgres.ts, database.pglite.ts) applies the files.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './migrations',
  strict: true,
  verbose: true,
})
