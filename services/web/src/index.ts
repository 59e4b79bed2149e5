import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'

/** Where the build puts the bundled page (see build.mjs). */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url))

/** Serves the web chat page at `/` (index.html, the bundle, styles). */
const plugin: FastifyPluginAsync = async function webPlugin (app) {
  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/',
    index: ['index.html'],
    wildcard: false,
    cacheControl: true,
    maxAge: 0,
  })
}

export const webPlugin = fp(plugin, { name: 'chat-web', fastify: '5.x' })
