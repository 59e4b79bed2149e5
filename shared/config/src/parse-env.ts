import type { Static, TObject } from 'typebox'
import Value from 'typebox/value'
import { ConfigError } from './config-error.js'

export type Env = Readonly<Record<string, string | undefined>>

/**
 * Reads the variables `schema` names from `env`: applies defaults, converts strings to the declared
 * types, and checks the result. Unknown variables are ignored (the environment holds many). Throws one
 * `ConfigError` naming every bad variable.
 */
export function parseEnv<T extends TObject> (schema: T, env: Env): Static<T> {
  const picked: Record<string, unknown> = {}
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key]
    if (raw !== undefined && raw !== '') picked[key] = raw
  }
  const withDefaults = Value.Default(schema, picked)
  const converted = Value.Convert(schema, withDefaults)
  if (!Value.Check(schema, converted)) {
    const problems = [...Value.Errors(schema, converted)].map((e) => {
      const path = (e.instancePath ?? '').replace(/^\//, '')
      const name = path === '' ? missingName(e) : path
      return `${name}: ${e.message}`
    })
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
  }
  return Object.freeze(converted) as Static<T>
}

function missingName (e: { params?: unknown }): string {
  const params = e.params as { requiredProperties?: string[] } | undefined
  return params?.requiredProperties?.join(', ') ?? '(environment)'
}

/** A required variable a split service cannot start without: one clear line naming it. */
export function requireVar (env: Env, name: string, why: string): string {
  const v = env[name]
  if (v === undefined || v === '') throw new ConfigError(`${name} is required: ${why}`)
  return v
}

/** A comma-separated list, trimmed, empties dropped. */
export function parseList (value: string | undefined): string[] {
  if (value === undefined) return []
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
}
