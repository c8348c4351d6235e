'use strict'
// A real `freshet server` process on a free loopback port for the kafkajs tests: the same
// contract as ../freshet_broker.py (binary from $FRESHET_BIN or <repo>/build/freshet, a temp
// data dir, readiness = the port accepts TCP, SIGTERM = clean stop).
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..')
const READY_TIMEOUT_MS = 20000

function freshetBin() {
  return process.env.FRESHET_BIN || path.join(REPO_ROOT, 'build', 'freshet')
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function portAccepts(port) {
  return new Promise(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.setTimeout(200)
    socket.on('connect', () => { socket.destroy(); resolve(true) })
    socket.on('timeout', () => { socket.destroy(); resolve(false) })
    socket.on('error', () => resolve(false))
  })
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

class Broker {
  // settings: extra `--set key=value` overrides; smp: `--smp N`.
  constructor({ settings = {}, smp = 1 } = {}) {
    this.settings = settings
    this.smp = smp
    this.workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'freshet-js-'))
    this.dataDir = path.join(this.workdir, 'data')
    this.logPath = path.join(this.workdir, 'broker.log')
    this.proc = null
    this.exited = null
    fs.mkdirSync(this.dataDir)
  }

  get bootstrap() { return `127.0.0.1:${this.port}` }

  async start() {
    if (!this.port) this.port = await freePort()
    const bin = freshetBin()
    if (!fs.existsSync(bin)) throw new Error(`freshet binary not found at ${bin} (build it, or set FRESHET_BIN)`)
    const args = ['server', '--set', `listeners=PLAINTEXT://127.0.0.1:${this.port}`,
      '--set', `log.dirs=${this.dataDir}`, '--smp', String(this.smp)]
    for (const [k, v] of Object.entries(this.settings)) args.push('--set', `${k}=${v}`)
    const log = fs.openSync(this.logPath, 'a')
    this.proc = spawn(bin, args, { cwd: this.workdir, stdio: ['ignore', log, log] })
    fs.closeSync(log)
    this.exited = new Promise(resolve => this.proc.on('exit', (code, signal) => resolve({ code, signal })))
    let done = null
    this.exited.then(status => { done = status })
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (true) {
      if (done) throw new Error(`freshet exited (${JSON.stringify(done)}) before it was ready:\n${this.logTail()}`)
      if (await portAccepts(this.port)) return this
      if (Date.now() > deadline) {
        this.proc.kill('SIGKILL')
        throw new Error(`freshet not accepting on ${this.bootstrap} after ${READY_TIMEOUT_MS} ms:\n${this.logTail()}`)
      }
      await sleep(10)
    }
  }

  // SIGTERM and wait; resolves to { code, signal }.
  async stop() {
    this.proc.kill('SIGTERM')
    return await this.exited
  }

  // Teardown: SIGKILL if still running, then remove the temp dir.
  async close() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL')
      await this.exited
    }
    fs.rmSync(this.workdir, { recursive: true, force: true })
  }

  logTail(lines = 100) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n')
    } catch (e) {
      return ''
    }
  }
}

module.exports = { Broker, sleep }
