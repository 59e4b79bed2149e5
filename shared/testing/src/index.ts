export { serverUrl, freshDatabase, freshVhost, uniqueName, DEFAULT_URLS } from './servers.js'
export type { ServerVar, Disposable } from './servers.js'
export { waitFor, TestClock } from './wait.js'
