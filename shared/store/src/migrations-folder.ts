import { fileURLToPath } from 'node:url'

/**
 * The package's migrations/ folder, found from this module's own location: `../migrations` is right both from
 * dist/ (the built package, which ships migrations/) and from src/ (tests under tsx).
 */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations', import.meta.url))
