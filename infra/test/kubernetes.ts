import { execFile } from 'node:child_process'
import { access, constants } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { parseAllDocuments } from 'yaml'

const execFileAsync = promisify(execFile)

/** A rendered Kubernetes object, as far as these checks read it. */
export interface KubeObject {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: { readonly name: string, readonly labels?: Record<string, string>, readonly annotations?: Record<string, string> }
  readonly [field: string]: unknown
}

/**
 * `kubectl` (its built-in kustomize renders offline: no cluster, no network): `KUBECTL` if set, else the first on
 * PATH. Undefined when there is none; `.ci/run` installs one on a machine without it.
 */
export async function findKubectl (): Promise<string | undefined> {
  const candidates = process.env.KUBECTL !== undefined && process.env.KUBECTL !== ''
    ? [process.env.KUBECTL]
    : (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, 'kubectl'))
  for (const path of candidates) {
    try {
      await access(path, constants.X_OK)
      return path
    } catch {}
  }
  return undefined
}

/** `kubectl kustomize <dir>`, parsed: every object of the rendered stream. */
export async function renderKustomization (kubectl: string, dir: string): Promise<KubeObject[]> {
  const { stdout } = await execFileAsync(kubectl, ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 })
  return parseAllDocuments(stdout).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`kustomize wrote invalid YAML: ${doc.errors[0]?.message ?? ''}`)
    return doc.toJS() as KubeObject
  })
}

interface ModelClass { readonly prototype: { validate (this: unknown): void } }

/**
 * What is wrong with `object` against the Kubernetes OpenAPI schema of its apiVersion and kind (kubernetes-models
 * bundles the schemas of Kubernetes 1.36, compiled to validators, so this runs offline): wrong types, missing
 * required fields, values outside an enum, and (as `kubectl apply --validate=strict` would refuse them) fields
 * the schema does not know. Empty when the object is valid.
 *
 * The schemas themselves allow unknown fields, so a misspelt `readinesProbe` would pass them silently. To catch
 * it, the validator reads the object through a proxy that records every property it looks at: a schema's
 * validator checks each property it declares, and walks every key of a map, so a key it never read is one the
 * schema does not have.
 */
export async function schemaProblems (object: KubeObject): Promise<string[]> {
  const { apiVersion, kind } = object
  if (!/^([a-z0-9.-]+\/)?v\d+([a-z]+\d+)?$/.test(String(apiVersion)) || !/^[A-Z][A-Za-z]+$/.test(String(kind))) {
    return [`not a Kubernetes object: apiVersion ${String(apiVersion)}, kind ${String(kind)}`]
  }
  let Model: ModelClass | undefined
  try {
    const module = await import(`kubernetes-models/${apiVersion}/${kind}`) as Record<string, ModelClass | undefined>
    Model = module[kind]
  } catch {}
  if (Model === undefined) return [`${apiVersion} ${kind}: no such kind in Kubernetes 1.36`]

  const read = new Set<string>()
  const watched = (value: unknown, path: string): unknown => {
    if (value === null || typeof value !== 'object') return value
    return new Proxy(value, {
      get (target, key, receiver) {
        const child: unknown = Reflect.get(target, key, receiver)
        if (typeof key !== 'string') return child
        read.add(`${path}/${key}`)
        return watched(child, `${path}/${key}`)
      },
    })
  }
  const checked = structuredClone(object) as KubeObject & { data?: Record<string, unknown> }
  // kustomize folds a long base64 value over several lines; the API server's decoder (Go's base64) skips the line
  // breaks, the schema's "byte" format does not.
  if (kind === 'Secret' && checked.data !== undefined) {
    for (const [key, value] of Object.entries(checked.data)) if (typeof value === 'string') checked.data[key] = value.replace(/[\r\n]/g, '')
  }
  const problems: string[] = []
  try {
    Model.prototype.validate.call(watched(checked, ''))
  } catch (err) {
    // kubernetes-models throws a ValidationError carrying ajv's errors, already localised into messages.
    const errors = (err as { errors?: Array<{ instancePath?: string, message?: string }> }).errors
    if (errors === undefined) throw err
    problems.push(...errors.map((e) => `${e.instancePath ?? ''}: ${e.message ?? 'is invalid'}`))
  }
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object') return
    for (const [key, child] of Object.entries(value)) {
      const childPath = `${path}/${key}`
      // Below an unknown field nothing is known either: name the field once.
      if (!Array.isArray(value) && !read.has(childPath)) problems.push(`${childPath}: unknown field`)
      else walk(child, childPath)
    }
  }
  walk(object, '')
  return problems.map((p) => `${kind} ${object.metadata?.name ?? '?'}: ${p}`)
}
