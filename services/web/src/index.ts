import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'

/** Where the build puts the bundled page (see build.mjs). */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url))

/**
 * Serves the web chat page at `/`: index.html, the bundle and the styles. The build writes brotli and gzip
 * copies next to each file, sent as they are to a browser that accepts them (the bundle is ~14 KiB brotli
 * instead of ~50 KiB). `maxAge: 0` with the ETag means a reload revalidates, so a new build shows at once.
 */
const plugin: FastifyPluginAsync = async function webPlugin (app) {
  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/',
    index: ['index.html'],
    wildcard: false,
    preCompressed: true,
    cacheControl: true,
    maxAge: 0,
    // The same URL answers in three encodings: caches must key on what the browser accepts.
    setHeaders: (res) => { res.setHeader('vary', 'accept-encoding') },
  })
}

export const webPlugin = fp(plugin, { name: 'chat-web', fastify: '5.x' })
