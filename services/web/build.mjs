// Bundles the web page: client/main.ts (and what it imports, @stomp/stompjs included) into
// dist/public/app.js, copies index.html and styles.css next to it, and writes a brotli and a gzip copy of
// each (served as they are by @fastify/static's preCompressed, so nothing is compressed per request).
import { build } from 'esbuild'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const out = new URL('./dist/public/', import.meta.url)
await mkdir(out, { recursive: true })
await build({
  entryPoints: [new URL('./client/main.ts', import.meta.url).pathname],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outfile: new URL('app.js', out).pathname,
  logLevel: 'warning',
})
for (const f of ['index.html', 'styles.css']) await copyFile(new URL(`./client/${f}`, import.meta.url), new URL(f, out))

const sizes = []
for (const f of ['app.js', 'styles.css', 'index.html']) {
  const raw = await readFile(new URL(f, out))
  const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } })
  const gz = gzipSync(raw, { level: 9 })
  await writeFile(new URL(`${f}.br`, out), br)
  await writeFile(new URL(`${f}.gz`, out), gz)
  sizes.push(`${f} ${kb(raw.length)} (gzip ${kb(gz.length)}, brotli ${kb(br.length)})`)
}
console.log(`web page: ${sizes.join('; ')}`)

function kb (bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`
}
