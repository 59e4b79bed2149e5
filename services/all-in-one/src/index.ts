export { createAdapters } from './adapters.js'
export type { Adapters, AdapterOptions } from './adapters.js'
export { buildAllInOne } from './all-in-one.js'
export type { AllInOne, AllInOneConfig } from './all-in-one.js'
