// Start a local AT Protocol network (PLC + PDS + AppView "bsky" + bsync + ozone)
// from @atproto/dev-env, print one JSON line with the URLs on stdout, and stay
// up until SIGTERM/SIGINT (or until stdin closes, if ATP_EXIT_ON_STDIN_EOF=1).
//
// Env:
//   DB_POSTGRES_URL     required, e.g. postgresql://postgres@127.0.0.1:55432/postgres
//   REDIS_HOST          required by TestNetwork.create's assert; unused (any string)
//   DB_POSTGRES_SCHEMA  optional, [A-Za-z_] only; default: fresh "run_<letters>" per run
//                       (creates schemas appview_<s>, bsync_<s>, ozone_<s>)
//   PDS_PORT, BSKY_PORT, PLC_PORT, OZONE_PORT  optional; 0/unset = free port
//   ATP_INFO_FILE       optional; also write the JSON to this file
//   LOG_ENABLED         leave unset (=off) for a quiet run; "true" for pino logs on stdout
import { writeFileSync } from 'node:fs'
import { TestNetwork } from '@atproto/dev-env'

const t0 = performance.now()
const port = (name) => {
  const v = Number(process.env[name] || 0)
  return Number.isInteger(v) && v > 0 ? v : undefined
}
// Schema names must match [A-Za-z_] only (bsync/bsky/ozone assert this), so
// encode the start time in letters: fresh, empty schemas on every start.
const letters = (n) => n.toString(26).replace(/[0-9]/g, (d) => 'qrstuvwxyz'[d])
const schema = process.env.DB_POSTGRES_SCHEMA || `run_${letters(Date.now())}`

// NB: never pass `port: undefined` -- dev-env spreads the config object over
// its own defaults (e.g. TestPlc: {db, port, ...cfg}), so an explicit
// undefined replaces the chosen port and the server listens on a random one.
const withPort = (name, extra = {}) =>
  port(name) ? { ...extra, port: port(name) } : extra

const network = await TestNetwork.create({
  dbPostgresSchema: schema,
  plc: withPort('PLC_PORT'),
  pds: withPort('PDS_PORT'),
  bsky: withPort('BSKY_PORT'),
  ozone: withPort('OZONE_PORT'),
})

const info = {
  pds: network.pds.url,
  bsky: network.bsky.url,
  plc: network.plc.url,
  ozone: network.ozone.url,
  bsync: network.bsync.url,
  pdsDid: network.pds.ctx.cfg.service.did,
  bskyDid: network.bsky.serverDid,
  firehose: network.pds.url.replace(/^http/, 'ws') + '/xrpc/com.atproto.sync.subscribeRepos',
  adminPassword: 'admin-pass',
  schema,
  pid: process.pid,
  node: process.version,
  startupMs: Math.round(performance.now() - t0),
}
const line = JSON.stringify(info)
if (process.env.ATP_INFO_FILE) writeFileSync(process.env.ATP_INFO_FILE, line + '\n')
process.stdout.write(line + '\n')

let closing = false
const shutdown = async (sig) => {
  if (closing) return
  closing = true
  const hard = setTimeout(() => process.exit(1), 10_000)
  hard.unref()
  try {
    await network.close()
    process.stderr.write(`dev-env closed (${sig})\n`)
    process.exit(0)
  } catch (err) {
    process.stderr.write(`dev-env close error: ${err?.stack || err}\n`)
    process.exit(1)
  }
}
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))
if (process.env.ATP_EXIT_ON_STDIN_EOF === '1') {
  process.stdin.resume()
  process.stdin.on('end', () => shutdown('stdin-eof'))
}
