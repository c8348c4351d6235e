'use strict'
// kafkajs's transactions as a command-line driver with the options and JSON lines of the Java
// driver's transactional commands (../java/src/main/java/io/freshet/testclient/
// TransactionalProduceCommand.java, ConsumeTransformProduceCommand.java):
//
//   node txn_driver.js transactional-produce --bootstrap HOST:PORT --transactional-id ID
//       --topic T [--topic T2]... [--partitions P] [--transactions N] [--records M]
//       [--outcomes c|a...] [--tag TAG] [--hold-last] [--recreate] [--retry-ms MS]
//       [--property transaction.timeout.ms=MS]
//   node txn_driver.js consume-transform-produce --bootstrap HOST:PORT --group G --input T
//       --output T2 --transactional-id ID [--max-records-per-txn N] [--outcomes c|a...]
//       [--retry-ms MS] [--property transaction.timeout.ms=MS]
//
// kafkajs has no error classes for transactions: a retriable failure of beginning (its first
// transaction() runs InitProducerId) or ending a transaction is retried (--retry-ms), any
// other failure of a transaction's sends or of its commit is answered with abort(), a failed
// abort() leaves only a new producer (whose InitProducerId ends what the old one left open).
// Each failure is printed as {"type":"error","txn","operation","error": the broker's error
// name (kafkajs's `type`) or the error's class,"message","next": "retry", "abort" or "close"}. kafkajs
// retries each request itself (5 times here, 100 ms to 1 s apart). kafkajs's
// transactional sends are one Produce request per send; a transaction's records go in one
// sendBatch.
const { Kafka, logLevel, Partitioners } = require('kafkajs')

const RETRY = { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 }
const FLAGS = new Set(['hold-last', 'recreate'])
const VALUES = new Set(['bootstrap', 'transactional-id', 'partitions', 'transactions', 'records',
  'outcomes', 'tag', 'group', 'input', 'output', 'max-records-per-txn', 'retry-ms'])
const REPEATED = new Set(['topic', 'property'])
const USAGE = 'usage: node txn_driver.js transactional-produce|consume-transform-produce ' +
  '--bootstrap HOST:PORT --transactional-id ID [options] (see the head of txn_driver.js)'

function usage(message) {
  process.stderr.write(`${message}\n${USAGE}\n`)
  process.exit(2)
}

function parseArgs(argv) {
  const options = { command: argv[0], topic: [], property: [] }
  for (let i = 1; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '')
    if (FLAGS.has(name)) options[name] = true
    else if (VALUES.has(name) && i + 1 < argv.length) options[name] = argv[++i]
    else if (REPEATED.has(name) && i + 1 < argv.length) options[name].push(argv[++i])
    else usage(`unknown option or missing value: ${argv[i]}`)
  }
  if (!options.bootstrap || !options['transactional-id']) usage('--bootstrap and --transactional-id are required')
  const outcomes = options.outcomes || 'c'
  if (!/^[ca]+$/.test(outcomes)) usage(`--outcomes takes letters c (commit) and a (abort), got: ${outcomes}`)
  options.commits = txn => outcomes[txn % outcomes.length] === 'c'
  options.retryMs = number(options, 'retry-ms', 60000)
  options.transactionTimeoutMs = 60000
  for (const setting of options.property) {
    const [key, value] = setting.split('=')
    if (key !== 'transaction.timeout.ms') usage(`--property: only transaction.timeout.ms is known, got: ${setting}`)
    options.transactionTimeoutMs = Number(value)
  }
  return options
}

function number(options, name, fallback) {
  if (options[name] === undefined) return fallback
  const value = Number(options[name])
  if (!Number.isInteger(value) || value <= 0) usage(`--${name} takes a positive number`)
  return value
}

const printLine = fields => process.stdout.write(JSON.stringify(fields) + '\n')

function kafkaOf(options) {
  return new Kafka({
    clientId: 'freshet-kafkajs-txn-driver',
    brokers: [options.bootstrap],
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log }) => process.stderr.write(`${level} ${JSON.stringify(log)}\n`),
    retry: RETRY,
  })
}

function newProducer(kafka, options) {
  return kafka.producer({
    transactionalId: options['transactional-id'],
    transactionTimeout: options.transactionTimeoutMs,
    maxInFlightRequests: 1,
    idempotent: true,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: RETRY,
  })
}

// Runs `call`; null when it succeeded, else `next` after printing the failure. A retriable
// failure (kafkajs's own retries exhausted on, say, a closed connection) of a call that
// sends nothing to a partition is tried again, for at most --retry-ms (default 60000).
async function attempt(operation, txn, next, call, retryUntilMs = 0) {
  while (true) {
    try {
      await call()
      return null
    } catch (error) {
      const cause = error.cause || {}
      const retry = Boolean(error.retriable || cause.retriable) && Date.now() < retryUntilMs
      printLine({
        type: 'error', txn, operation, error: error.type || cause.type || error.name,
        message: String(error.message), next: retry ? 'retry' : next,
      })
      if (!retry) return next
    }
  }
}

// Ends `transaction` as planned (commit true/false); returns [how it ended, next] where
// `next` is null, 'abort' (it was aborted instead) or 'close' (the producer is unusable).
async function end(transaction, txn, commit, retryUntilMs) {
  let next = await attempt(commit ? 'commit' : 'abort', txn, commit ? 'abort' : 'close',
    () => (commit ? transaction.commit() : transaction.abort()), retryUntilMs)
  if (next === 'abort') next = (await attempt('abort', txn, 'close', () => transaction.abort(), retryUntilMs)) || 'abort'
  return next
}

function stdinEnd() {
  let closed = false
  const waiters = []
  process.stdin.on('data', () => {})
  process.stdin.on('end', () => { closed = true; waiters.splice(0).forEach(resolve => resolve()) })
  return {
    closed: () => closed,
    wait: () => (closed ? Promise.resolve() : new Promise(resolve => waiters.push(resolve))),
  }
}

async function transactionalProduce(options) {
  const stdin = stdinEnd()
  const topics = options.topic
  if (!topics.length) usage('--topic is required')
  const partitions = number(options, 'partitions', 1)
  const transactions = number(options, 'transactions', 0)
  const records = number(options, 'records', 10)
  const tag = options.tag || options['transactional-id']
  if (options['hold-last'] && !transactions) usage('--hold-last needs --transactions N')
  const kafka = kafkaOf(options)
  let producer = await startProducer(kafka, options, -1)
  const counts = { committed: 0, aborted: 0 }
  let asPlanned = true
  for (let txn = 0; producer && (transactions ? txn < transactions : !stdin.closed()); txn++) {
    let commit = options.commits(txn)
    let transaction = null
    let next = await attempt('begin', txn, 'close', async () => { transaction = await producer.transaction() },
      Date.now() + options.retryMs)
    if (!next) {
      const byTopic = new Map(topics.map(topic => [topic, []]))
      for (let j = 0; j < records; j++) {
        const topic = topics[j % topics.length]
        byTopic.get(topic).push({ value: `${tag}:${txn}:${j}`, partition: Math.floor(j / topics.length) % partitions })
      }
      const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }))
      next = await attempt('produce', txn, 'abort', () => transaction.sendBatch({ topicMessages, acks: -1 }))
      if (!next) {
        printLine({ type: 'flushed', txn, records })
        if (options['hold-last'] && txn === transactions - 1) {
          printLine({ type: 'open', txn })
          await stdin.wait()
        }
        next = await end(transaction, txn, commit, Date.now() + options.retryMs)
      } else {
        next = (await attempt('abort', txn, 'close', () => transaction.abort(), Date.now() + options.retryMs)) || 'abort'
      }
    }
    if (next === 'abort') commit = false
    asPlanned = asPlanned && next !== 'close' && commit === options.commits(txn)
    if (next !== 'close') {
      printLine({ type: commit ? 'committed' : 'aborted', txn })
      counts[commit ? 'committed' : 'aborted']++
    } else {
      await producer.disconnect().catch(() => {})
      producer = options.recreate ? await startProducer(kafka, options, txn) : null
    }
  }
  if (producer) await producer.disconnect()
  printLine({ type: 'done', ...counts })
  return asPlanned && producer ? 0 : 1
}

// A connected transactional producer (its first transaction() runs InitProducerId), null when
// connecting keeps failing; `txn` >= 0 says it replaces one that failed in that transaction:
// {"type":"restarted","txn":txn}.
async function startProducer(kafka, options, txn) {
  const producer = newProducer(kafka, options)
  if (await attempt('connect', txn, 'close', () => producer.connect(), Date.now() + options.retryMs)) return null
  if (txn >= 0) printLine({ type: 'restarted', txn })
  return producer
}

async function consumeTransformProduce(options) {
  const stdin = stdinEnd()
  for (const name of ['group', 'input', 'output']) if (!options[name]) usage(`--${name} is required`)
  const maxRecordsPerTxn = number(options, 'max-records-per-txn', 50)
  const groupId = options.group
  const kafka = kafkaOf(options)
  const admin = kafka.admin()
  await admin.connect()
  let producer = await startProducer(kafka, options, -1)
  if (!producer) return 1
  const consumer = kafka.consumer({
    groupId, readUncommitted: false, maxWaitTimeInMs: 100, heartbeatInterval: 100,
    sessionTimeout: 6000, rebalanceTimeout: 10000, allowAutoTopicCreation: false, retry: RETRY,
  })
  await consumer.connect()
  await consumer.subscribe({ topic: options.input, fromBeginning: true })
  const counts = { committed: 0, aborted: 0, restarts: 0 }
  let txn = 0

  // Seeks `partition` back to the group's committed offset (or the start).
  async function rewind(partition) {
    const [found] = await admin.fetchOffsets({ groupId, topics: [options.input] })
    const committed = found.partitions.find(p => p.partition === partition)
    const offset = committed && Number(committed.offset) >= 0 ? committed.offset : '0'
    consumer.seek({ topic: options.input, partition, offset })
  }

  // One transaction over `messages` of `partition`; true when it committed.
  async function transform(partition, messages) {
    const t = txn++
    const commit = options.commits(t)
    let transaction = null
    const retryUntilMs = Date.now() + options.retryMs
    let next = await attempt('begin', t, 'close', async () => { transaction = await producer.transaction() },
      retryUntilMs)
    if (!next) {
      next = await attempt('produce', t, 'abort', async () => {
        await transaction.send({
          topic: options.output, acks: -1,
          messages: messages.map(m => ({ key: m.key, value: m.value, partition })),
        })
        const last = BigInt(messages[messages.length - 1].offset)
        await transaction.sendOffsets({
          consumerGroupId: groupId,
          topics: [{ topic: options.input, partitions: [{ partition, offset: String(last + 1n) }] }],
        })
      })
      if (!next) next = await end(transaction, t, commit, retryUntilMs)
      else next = (await attempt('abort', t, 'close', () => transaction.abort(), retryUntilMs)) || 'abort'
    }
    if (!next && commit) {
      counts.committed++
      printLine({ type: 'committed', txn: t, records: messages.length })
      return true
    }
    if (next !== 'close') {
      counts.aborted++
      printLine({ type: 'aborted', txn: t, records: messages.length })
    } else {
      await producer.disconnect().catch(() => {})
      producer = await startProducer(kafka, options, t)
      if (!producer) throw new Error('the replacement producer could not connect')
      counts.restarts++
    }
    return false
  }

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      for (let i = 0; i < batch.messages.length && isRunning() && !isStale() && !stdin.closed(); i += maxRecordsPerTxn) {
        const messages = batch.messages.slice(i, i + maxRecordsPerTxn)
        if (!(await transform(batch.partition, messages))) {
          await rewind(batch.partition)
          return
        }
        resolveOffset(messages[messages.length - 1].offset)
        await heartbeat()
      }
    },
  })
  await stdin.wait()
  await consumer.disconnect()
  await producer.disconnect()
  await admin.disconnect()
  printLine({ type: 'done', ...counts })
  return 0
}

const COMMANDS = { 'transactional-produce': transactionalProduce, 'consume-transform-produce': consumeTransformProduce }
const options = parseArgs(process.argv.slice(2))
const command = COMMANDS[options.command] || usage(`unknown command: ${options.command}`)
command(options).then(
  status => process.exit(status),
  error => { process.stderr.write(`${error.stack}\n`); process.exit(1) })
