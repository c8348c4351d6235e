'use strict'
// kafkajs helpers for the integration tests: client construction with small timeouts, error
// inspection, and a raw Fetch through kafkajs's own protocol stack (kafkajs has no
// assign()/seek(); its consumer needs consumer groups, which come with issue 3).
const crypto = require('node:crypto')
const { Kafka, logLevel, CompressionTypes, CompressionCodecs, Partitioners } = require('kafkajs')
const SnappyCodec = require('kafkajs-snappy')
const Cluster = require('kafkajs/src/cluster')
const { createLogger } = require('kafkajs/src/loggers')
const LoggerConsole = require('kafkajs/src/loggers/console')
const socketFactory = require('kafkajs/src/network/socketFactory')

CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec

const RETRY = { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 }

function kafka(broker) {
  return new Kafka({
    clientId: 'itest-kafkajs',
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

function uniqueTopic(prefix = 'js') {
  return `${prefix}-${crypto.randomBytes(5).toString('hex')}`
}

// Every Kafka error type name (e.g. 'INVALID_PARTITIONS') found in an error, its causes and
// aggregated sub-errors.
function errorTypes(e, found = new Set()) {
  if (!e || typeof e !== 'object') return found
  if (e.type) found.add(e.type)
  for (const inner of [e.cause, e.originalError, ...(e.errors || [])]) errorTypes(inner, found)
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

module.exports = { kafka, producer, uniqueTopic, errorTypes, rejection, fetchRecords, CompressionTypes }
