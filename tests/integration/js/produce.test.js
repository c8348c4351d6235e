'use strict'
// kafkajs producer against a real freshet broker (one and two shards), read back through
// kafkajs's own Fetch decoding: acks, keys, headers, timestamps, null values, codecs.
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { Broker } = require('./broker')
const { kafka, producer, uniqueTopic, errorTypes, rejection, fetchRecords, CompressionTypes } = require('./clients')

const text = b => (b === null ? null : b.toString())

for (const smp of [1, 2]) {
  describe(`kafkajs producer, --smp ${smp}`, () => {
    let broker
    let admin
    let p

    before(async () => {
      broker = await new Broker({ smp }).start()
      admin = kafka(broker).admin()
      await admin.connect()
      p = producer(broker)
      await p.connect()
    })

    after(async () => {
      if (p) await p.disconnect()
      if (admin) await admin.disconnect()
      if (broker) await broker.close()
    })

    async function newTopic(numPartitions = 1, configEntries = []) {
      const topic = uniqueTopic()
      assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions, configEntries }] }), true)
      return topic
    }

    for (const acks of [0, 1, -1]) {
      it(`produces with acks=${acks} to several partitions`, async () => {
        const topic = await newTopic(3)
        const messages = Array.from({ length: 60 }, (_, i) => ({
          partition: i % 3, key: i % 2 ? `k${i}` : null, value: `v${i}` }))
        const result = await p.send({ topic, acks, messages })
        if (acks !== 0) {
          assert.deepEqual(result.map(r => [r.partition, r.errorCode, r.baseOffset]).sort(),
            [[0, 0, '0'], [1, 0, '0'], [2, 0, '0']])
        }
        for (const partition of [0, 1, 2]) {
          const records = await fetchRecords(broker, topic, partition)
          const sent = messages.filter(m => m.partition === partition)
          assert.deepEqual(records.map(r => [r.offset, text(r.key), text(r.value)]),
            sent.map((m, i) => [String(i), m.key, m.value]))
        }
      })
    }

    it('keeps keys, headers, explicit timestamps and null values', async () => {
      const topic = await newTopic()
      const ts = 1_600_000_000_000
      await p.send({ topic, acks: -1, messages: [
        { key: 'k', value: 'v', timestamp: String(ts), headers: { a: '1', b: Buffer.from([0, 1, 2]) } },
        { key: 'k', value: null },
        { key: null, value: '' },
        { value: 'multi', headers: { h: ['x', 'y'] } },
      ] })
      const records = await fetchRecords(broker, topic, 0)
      assert.equal(records.length, 4)
      assert.equal(records[0].timestamp, String(ts))
      assert.equal(text(records[0].headers.a), '1')
      assert.deepEqual([...records[0].headers.b], [0, 1, 2])
      assert.equal(records[1].value, null)
      assert.equal(text(records[1].key), 'k')
      assert.equal(records[2].key, null)
      assert.equal(text(records[2].value), '')
      assert.deepEqual(records[3].headers.h.map(text), ['x', 'y'])
    })

    for (const [name, codec] of [['none', CompressionTypes.None], ['gzip', CompressionTypes.GZIP],
      ['snappy', CompressionTypes.Snappy]]) {
      it(`compresses with ${name}`, async () => {
        const topic = await newTopic()
        const messages = Array.from({ length: 200 }, (_, i) => ({ key: `${i}`, value: `value ${i} `.repeat(20) }))
        await p.send({ topic, acks: -1, compression: codec, messages })
        const records = await fetchRecords(broker, topic, 0)
        assert.deepEqual(records.map(r => [r.offset, text(r.key), text(r.value)]),
          messages.map((m, i) => [String(i), m.key, m.value]))
      })
    }

    for (const name of ['lz4', 'zstd']) {
      it(`compresses with ${name}`, { skip: `kafkajs has no pure-JS ${name} codec (its codec packages need a native build)` }, () => {})
    }

    it('reads from any offset', async () => {
      const topic = await newTopic()
      await p.send({ topic, acks: 1, messages: Array.from({ length: 30 }, (_, i) => ({ value: `v${i}` })) })
      const records = await fetchRecords(broker, topic, 0, 17)
      assert.deepEqual(records.map(r => r.offset), Array.from({ length: 13 }, (_, i) => String(17 + i)))
    })

    it('gets UNKNOWN_TOPIC_OR_PARTITION and MESSAGE_TOO_LARGE', async () => {
      const small = await newTopic(1, [{ name: 'max.message.bytes', value: '1000' }])
      const big = await rejection(p.send({ topic: small, acks: -1, messages: [{ value: 'x'.repeat(5000) }] }))
      assert.ok(errorTypes(big).has('MESSAGE_TOO_LARGE'), `${big} ${[...errorTypes(big)]}`)
      // Metadata with allowAutoTopicCreation=false must not create the topic.
      const missing = uniqueTopic()
      const unknown = await rejection(p.send({ topic: missing, acks: -1, messages: [{ value: 'x' }] }))
      assert.ok(errorTypes(unknown).has('UNKNOWN_TOPIC_OR_PARTITION'), `${unknown} ${[...errorTypes(unknown)]}`)
      assert.ok(!(await admin.listTopics()).includes(missing))
    })
  })
}
