import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/**
 * Imports `specifier` in a fresh node started in `packageDir`, so it resolves through the package's `exports`
 * (dist/: the package must be built), and tells its export names (sorted) and whether it loaded a module from
 * `node_modules/{driver}/`: how a package's tests check that its front door loads no heavy driver.
 */
export async function probeExports (packageDir: string, specifier: string, driver: string): Promise<{ names: string[], driverLoaded: boolean }> {
  const code = `
import { createRequire } from 'node:module'
const m = await import(${JSON.stringify(specifier)})
const driverLoaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes(${JSON.stringify(`/node_modules/${driver}/`)}))
console.log(JSON.stringify({ names: Object.keys(m).sort(), driverLoaded }))`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: packageDir })
  return JSON.parse(stdout) as { names: string[], driverLoaded: boolean }
}
