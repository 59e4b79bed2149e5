export { loadHistoryConfig } from './config.js'
export type { HistoryConfig } from './config.js'
export { historyRoutes, buildHistoryApp, errorHandler, frameworkErrors, notFoundHandler } from './app.js'
export type { HistoryDeps } from './context.js'
