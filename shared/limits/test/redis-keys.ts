import type { Redis } from 'ioredis'

/** Every key on the server matching the glob `pattern` (SCAN, so it never blocks the server). */
export async function scanKeys (admin: Redis, pattern = '*'): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    keys.push(...batch)
    cursor = next
  } while (cursor !== '0')
  return [...new Set(keys)].sort()
}

/** Removes every key under `prefix` (a prefix from `uniqueName`, so it holds no glob characters). */
export async function removeKeys (admin: Redis, prefix: string): Promise<void> {
  const keys = await scanKeys(admin, `${prefix}*`)
  if (keys.length > 0) await admin.unlink(...keys)
}
