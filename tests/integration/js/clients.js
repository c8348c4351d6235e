'use strict'
// kafkajs helpers for the integration tests: client construction with small timeouts (group
// consumers included), waiting for a condition, error inspection, and a raw Fetch through
// kafkajs's own protocol stack (kafkajs has no assign()/seek(): its consumer always joins a
// group).
const crypto = require('node:crypto')
const { Kafka, logLevel, CompressionTypes, CompressionCodecs, Partitioners } = require('kafkajs')
const SnappyCodec = require('kafkajs-snappy')
const Cluster = require('kafkajs/src/cluster')
const { createLogger } = require('kafkajs/src/loggers')
const LoggerConsole = require('kafkajs/src/loggers/console')
const socketFactory = require('kafkajs/src/network/socketFactory')

CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec

const RETRY = { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 }

function kafka(broker, clientId = 'itest-kafkajs') {
  return new Kafka({
    clientId,
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: RETRY,
  })
}

function producer(broker, options = {}) {
  return kafka(broker).producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: RETRY,
    ...options,
  })
}

// A group consumer with short timers so rebalances take milliseconds: a heartbeat every
// 100 ms (kafkajs heartbeats between fetches, which long-poll at most 100 ms), a 6 s session
// and a 10 s rebalance timeout. options: clientId, and any kafka.consumer() option.
function groupConsumer(broker, groupId, { clientId, ...options } = {}) {
  return kafka(broker, clientId).consumer({
    groupId,
    sessionTimeout: 6000,
    rebalanceTimeout: 10000,
    heartbeatInterval: 100,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
    retry: RETRY,
    ...options,
  })
}

// Resolves once `condition()` (sync or async) is truthy; rejects naming `what` after timeoutMs.
async function waitFor(condition, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs
  let lastError = null
  while (true) {
    try {
      if (await condition()) return
    } catch (e) {
      lastError = e
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
        (lastError ? ` (last error: ${lastError})` : ''))
    }
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

function uniqueTopic(prefix = 'js') {
  return `${prefix}-${crypto.randomBytes(5).toString('hex')}`
}

// Every Kafka error type name (e.g. 'INVALID_PARTITIONS') found in an error, its causes and
// aggregated sub-errors.
function errorTypes(e, found = new Set()) {
  if (!e || typeof e !== 'object') return found
  if (e.type) found.add(e.type)
  // KafkaJSDeleteTopicRecordsError keeps each partition's error in `partitions`.
  const partitionErrors = (e.partitions || []).map(p => p.error)
  for (const inner of [e.cause, e.originalError, ...(e.errors || []), ...partitionErrors]) errorTypes(inner, found)
  return found
}

// Resolves to the error `promise` rejects with; fails if it resolves.
async function rejection(promise) {
  try {
    await promise
  } catch (e) {
    return e
  }
  throw new Error('expected the operation to fail, it succeeded')
}

// Records of one partition from `offset` up to the high watermark, read with kafkajs's Fetch
// request (the version kafkajs negotiates through ApiVersions).
async function fetchRecords(broker, topic, partition, offset = 0) {
  const cluster = new Cluster({
    logger: createLogger({ level: logLevel.NOTHING, logCreator: LoggerConsole }),
    socketFactory: socketFactory(),
    brokers: [broker.bootstrap],
    clientId: 'itest-kafkajs-fetch',
    connectionTimeout: 3000,
    requestTimeout: 10000,
    enforceRequestTimeout: true,
    metadataMaxAge: 300000,
    retry: RETRY,
    allowAutoTopicCreation: false,
    isolationLevel: 1,
  })
  await cluster.connect()
  try {
    await cluster.addTargetTopic(topic)
    const leaders = cluster.findLeaderForPartitions(topic, [partition])
    const leader = await cluster.findBroker({ nodeId: Object.keys(leaders)[0] })
    const records = []
    let next = BigInt(offset)
    for (let round = 0; round < 1000; round++) {
      const response = await leader.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 10485760,
        topics: [{ topic, partitions: [{ partition, fetchOffset: next.toString(), maxBytes: 1048576 }] }],
      })
      const p = response.responses[0].partitions[0]
      for (const m of p.messages) {
        if (BigInt(m.offset) >= next && !m.isControlRecord) records.push(m)
      }
      if (p.messages.length > 0) next = BigInt(p.messages[p.messages.length - 1].offset) + 1n
      if (next >= BigInt(p.highWatermark)) return records
    }
    throw new Error(`fetch did not reach the high watermark of ${topic}/${partition}`)
  } finally {
    await cluster.disconnect()
  }
}

module.exports = {
  kafka, producer, groupConsumer, uniqueTopic, errorTypes, rejection, waitFor, fetchRecords,
  CompressionTypes,
}
