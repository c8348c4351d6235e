'use strict'
// kafkajs as a command-line producer speaking the same options and JSON lines as the Java
// driver (../java/src/main/java/io/freshet/testclient/ProduceCommand.java):
//
//   node produce_driver.js produce --bootstrap HOST:PORT --topic T --partitions P
//       [--count N] [--throughput RECORDS_PER_S] [--acks 0|1|all] [--idempotent]
//       [--max-in-flight N]
//
// Record i has the value "i" and no key and goes to partition i % P (always explicit: the
// acks are matched to records by partition); production stops after --count records or,
// without it, when standard input closes. kafkajs sends one Produce request per send() call;
// the driver makes one send() at a time, of the records due by then (at most
// MAX_RECORDS_PER_SEND). More would add no request on the wire when idempotent (kafkajs's
// eosManager serializes an idempotent producer's requests per broker), and kafkajs 2.2.4
// fails them when a connection closes under one: brokerPool.removeBroker leaves the
// single-broker pool without a seed broker while another send() retries connect(), a
// non-retriable TypeError. --max-in-flight is kafkajs's maxInFlightRequests. One line per
// record once its send() settles ({"type":"ack","seq","partition","offset"} or
// {"type":"error","seq","error"}), then {"type":"done","sent","acked","failed"}. Exit status
// 0 when every record was acknowledged. kafkajs's retries: unbounded when idempotent (its
// own default), 100 ms to 1 s apart.
const { Kafka, logLevel, Partitioners } = require('kafkajs')

const MAX_RECORDS_PER_SEND = 100
const USAGE = 'usage: node produce_driver.js produce --bootstrap HOST:PORT --topic T --partitions P ' +
  '[--count N] [--throughput RECORDS_PER_S] [--acks 0|1|all] [--idempotent] [--max-in-flight N]'
const FLAGS = new Set(['idempotent'])
const VALUES = new Set(['bootstrap', 'topic', 'count', 'throughput', 'partitions', 'acks', 'max-in-flight'])

function usage(message) {
  process.stderr.write(`${message}\n${USAGE}\n`)
  process.exit(2)
}

function parseArgs(argv) {
  if (argv[0] !== 'produce') usage(`unknown command: ${argv[0]}`)
  const options = {}
  for (let i = 1; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '')
    if (FLAGS.has(name)) options[name] = true
    else if (VALUES.has(name) && i + 1 < argv.length) options[name] = argv[++i]
    else usage(`unknown option or missing value: ${argv[i]}`)
  }
  if (!options.bootstrap || !options.topic || !options.partitions) {
    usage('--bootstrap, --topic and --partitions are required')
  }
  return options
}

function positive(options, name) {
  if (options[name] === undefined) return 0
  const value = Number(options[name])
  if (!Number.isInteger(value) || value <= 0) usage(`--${name} takes a positive number`)
  return value
}

// kafkajs's acks: -1 for "all".
function acksOf(text) {
  if (text === undefined || text === 'all') return -1
  return Number(text)
}

const printLine = fields => process.stdout.write(JSON.stringify(fields) + '\n')

async function produce(options) {
  const count = positive(options, 'count')
  const throughputPerS = positive(options, 'throughput')
  const partitions = positive(options, 'partitions')
  const maxInFlight = positive(options, 'max-in-flight') || 1
  const idempotent = options.idempotent === true
  const acks = acksOf(options.acks)
  const kafka = new Kafka({
    clientId: 'freshet-kafkajs-driver',
    brokers: [options.bootstrap],
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log }) => process.stderr.write(`${level} ${JSON.stringify(log)}\n`),
  })
  const producer = kafka.producer({
    idempotent,
    maxInFlightRequests: maxInFlight,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,  // unused (records name their partition): silences kafkajs's v2 warning
    retry: { retries: idempotent ? Number.MAX_SAFE_INTEGER : 5, initialRetryTime: 100, maxRetryTime: 1000 },
  })
  await producer.connect()

  let stdinClosed = false
  if (!count) {
    process.stdin.on('data', () => {})
    process.stdin.on('end', () => { stdinClosed = true })
  }
  const counts = { acked: 0, failed: 0 }
  const startMs = Date.now()
  let sent = 0
  const more = () => (count ? sent < count : !stdinClosed)
  const due = () => {
    const limit = count || Number.MAX_SAFE_INTEGER
    const paced = throughputPerS ? Math.floor((Date.now() - startMs) * throughputPerS / 1000) + 1 : limit
    return Math.min(limit, paced, sent + MAX_RECORDS_PER_SEND)
  }

  while (more()) {
    const last = due()
    if (last <= sent) {
      await new Promise(resolve => setTimeout(resolve, 1))
      continue
    }
    const seqs = Array.from({ length: last - sent }, (_, i) => sent + i)
    sent = last
    const messages = seqs.map(seq => ({ value: String(seq), partition: seq % partitions }))
    try {
      reportAcks(seqs, messages, await producer.send({ topic: options.topic, acks, messages }), counts)
    } catch (error) {
      process.stderr.write(`send of records ${seqs[0]}..${seqs[seqs.length - 1]} failed: ${error.stack}\n` +
        (error.cause ? `caused by: ${error.cause.stack}\n` : ''))
      counts.failed += seqs.length
      for (const seq of seqs) printLine({ type: 'error', seq, error: String(error) })
    }
  }
  await producer.disconnect()
  printLine({ type: 'done', sent, ...counts })
  return counts.acked === sent ? 0 : 1
}

// A send()'s result has one entry per partition with the base offset of its records, which
// kafkajs wrote in the order given.
function reportAcks(seqs, messages, metadata, counts) {
  const baseOffsets = new Map(metadata.map(m => [m.partition, BigInt(m.baseOffset)]))
  const nextIndex = new Map()
  seqs.forEach((seq, i) => {
    const partition = messages[i].partition
    const index = nextIndex.get(partition) || 0n
    nextIndex.set(partition, index + 1n)
    counts.acked++
    printLine({ type: 'ack', seq, partition, offset: Number(baseOffsets.get(partition) + index) })
  })
}

produce(parseArgs(process.argv.slice(2))).then(
  status => process.exit(status),
  error => { process.stderr.write(`${error.stack}\n`); process.exit(1) })
