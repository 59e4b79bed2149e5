import { createLogger } from '@chat/observability'
import { openPostgresDatabase } from '@chat/store/postgres'
import { ConfigError } from '@chat/config'

// `npm run db:migrate`: applies pending migrations (under an advisory lock) and exits.
const url = process.env.DATABASE_URL
if (url === undefined || url === '') throw new ConfigError('DATABASE_URL is required: the database to migrate')
const log = createLogger(process.env.LOG_LEVEL ?? 'info', 'migrate')
const database = await openPostgresDatabase({ url, applicationName: 'migrate' })
try {
  await database.migrate()
  log.info('migrations applied')
} finally {
  await database.close()
}
