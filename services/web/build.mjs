// Bundles the web page: client/main.ts (and what it imports, @stomp/stompjs included) into
// dist/public/app.js, and copies index.html and styles.css next to it.
import { build } from 'esbuild'
import { copyFile, mkdir } from 'node:fs/promises'

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
