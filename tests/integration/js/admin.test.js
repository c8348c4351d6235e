'use strict'
// kafkajs admin against a real freshet broker: metadata, topics, partitions, configs, offsets.
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { ConfigResourceTypes, ConfigSource } = require('kafkajs')
const { Broker } = require('./broker')
const { kafka, producer, uniqueTopic, errorTypes, rejection } = require('./clients')

describe('kafkajs admin', () => {
  let broker
  let admin

  before(async () => {
    broker = await new Broker().start()
    admin = kafka(broker).admin()
    await admin.connect()
  })

  after(async () => {
    if (admin) await admin.disconnect()
    if (broker) await broker.close()
  })

  async function configsOf(topic) {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      includeSynonyms: false,
    })
    assert.equal(resources.length, 1)
    assert.equal(resources[0].errorCode, 0)
    return Object.fromEntries(resources[0].configEntries.map(e => [e.configName, e]))
  }

  it('lists the cluster and topics', async () => {
    const topic = uniqueTopic()
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] }), true)
    const cluster = await admin.describeCluster()
    assert.deepEqual(cluster.brokers.map(b => [b.host, b.port]), [['127.0.0.1', broker.port]])
    assert.equal(cluster.controller, cluster.brokers[0].nodeId)
    assert.ok(cluster.clusterId)
    assert.ok((await admin.listTopics()).includes(topic))
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    assert.equal(topics.length, 1)
    const partitions = topics[0].partitions.sort((a, b) => a.partitionId - b.partitionId)
    assert.deepEqual(partitions.map(p => p.partitionId), [0, 1, 2])
    for (const p of partitions) {
      assert.equal(p.partitionErrorCode, 0)
      assert.equal(p.leader, cluster.brokers[0].nodeId)
      assert.deepEqual(p.replicas, [cluster.brokers[0].nodeId])
      assert.deepEqual(p.isr, [cluster.brokers[0].nodeId])
    }
  })

  it('creates topics with configs, and refuses duplicates and bad replication factors', async () => {
    const topic = uniqueTopic()
    assert.equal(await admin.createTopics({
      topics: [{ topic, numPartitions: 2, configEntries: [
        { name: 'retention.ms', value: '7200000' }, { name: 'cleanup.policy', value: 'compact' }] }],
    }), true)
    const entries = await configsOf(topic)
    assert.equal(entries['retention.ms'].configValue, '7200000')
    assert.equal(entries['retention.ms'].configSource, ConfigSource.TOPIC_CONFIG)
    assert.equal(entries['cleanup.policy'].configValue, 'compact')
    assert.equal(entries['segment.bytes'].configValue, '1073741824')
    assert.equal(entries['segment.bytes'].configSource, ConfigSource.DEFAULT_CONFIG)
    assert.equal(entries['segment.bytes'].isDefault, true)
    // kafkajs maps TOPIC_ALREADY_EXISTS to `false`.
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }), false)
    const e = await rejection(admin.createTopics({
      topics: [{ topic: uniqueTopic(), numPartitions: 1, replicationFactor: 3 }] }))
    assert.ok(errorTypes(e).has('INVALID_REPLICATION_FACTOR'), `${e} ${[...errorTypes(e)]}`)
  })

  it('validate-only creation creates nothing', async () => {
    const topic = uniqueTopic()
    // waitForLeaders would look the (uncreated) topic up and fail with UNKNOWN_TOPIC_OR_PARTITION.
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], validateOnly: true, waitForLeaders: false })
    assert.ok(!(await admin.listTopics()).includes(topic))
  })

  it('grows partitions and refuses to shrink', async () => {
    const topic = uniqueTopic()
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
    await admin.createPartitions({ topicPartitions: [{ topic, count: 5 }] })
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    assert.equal(topics[0].partitions.length, 5)
    for (const count of [3, 5]) {
      const e = await rejection(admin.createPartitions({ topicPartitions: [{ topic, count }] }))
      assert.ok(errorTypes(e).has('INVALID_PARTITIONS'), `${e} ${[...errorTypes(e)]}`)
    }
  })

  it('deletes topics', async () => {
    const topic = uniqueTopic()
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    await admin.deleteTopics({ topics: [topic], timeout: 5000 })
    assert.ok(!(await admin.listTopics()).includes(topic))
    const e = await rejection(admin.deleteTopics({ topics: [topic], timeout: 5000 }))
    assert.ok(errorTypes(e).has('UNKNOWN_TOPIC_OR_PARTITION'), `${e} ${[...errorTypes(e)]}`)
  })

  it('alters configs (AlterConfigs replaces the override set)', async () => {
    const topic = uniqueTopic()
    await admin.createTopics({ topics: [{ topic, numPartitions: 1,
      configEntries: [{ name: 'retention.ms', value: '1000000' }] }] })
    await admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic,
      configEntries: [{ name: 'max.message.bytes', value: '300000' }] }] })
    const entries = await configsOf(topic)
    assert.equal(entries['max.message.bytes'].configValue, '300000')
    assert.equal(entries['max.message.bytes'].configSource, ConfigSource.TOPIC_CONFIG)
    assert.equal(entries['retention.ms'].configValue, '604800000')
    const e = await rejection(admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC,
      name: topic, configEntries: [{ name: 'retention.ms', value: 'forever' }] }] }))
    assert.ok(errorTypes(e).has('INVALID_CONFIG'), `${e} ${[...errorTypes(e)]}`)
  })

  it('fetches watermarks and offsets by timestamp', async () => {
    const topic = uniqueTopic()
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
    const p = producer(broker)
    await p.connect()
    try {
      const base = 1_680_000_000_000
      await p.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({
        partition: 1, value: `v${i}`, timestamp: String(base + 100 * i) })) })
    } finally {
      await p.disconnect()
    }
    const offsets = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition)
    assert.deepEqual(offsets.map(o => [o.partition, o.low, o.high]), [[0, '0', '0'], [1, '0', '10']])
    const byTs = async ts => Object.fromEntries((await admin.fetchTopicOffsetsByTimestamp(topic, ts))
      .map(o => [o.partition, o.offset]))
    assert.deepEqual(await byTs(1_680_000_000_000 + 350), { 0: '0', 1: '4' })
    assert.deepEqual(await byTs(1_680_000_000_000), { 0: '0', 1: '0' })
    // No record that late: kafkajs falls back to the high watermark.
    assert.deepEqual(await byTs(1_680_000_000_000 + 5000), { 0: '0', 1: '10' })
  })

  it('deletes records before an offset (DeleteRecords)', async () => {
    const topic = uniqueTopic()
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
    const p = producer(broker)
    await p.connect()
    try {
      await p.send({ topic, acks: -1, messages: Array.from({ length: 8 }, (_, i) => ({
        partition: i % 2, value: `v${i}` })) })
    } finally {
      await p.disconnect()
    }
    await admin.fetchTopicMetadata({ topics: [topic] })  // the admin client routes by its metadata
    // -1: up to the high watermark.
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '-1' }] })
    const offsets = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition)
    assert.deepEqual(offsets.map(o => [o.partition, o.low, o.high]), [[0, '3', '4'], [1, '4', '4']])
    // Beyond the high watermark kafkajs refuses the offset itself; a compacted topic's
    // records cannot be deleted.
    const compacted = uniqueTopic()
    await admin.createTopics({ topics: [{ topic: compacted, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })
    await admin.fetchTopicMetadata({ topics: [compacted] })
    const e = await rejection(admin.deleteTopicRecords({ topic: compacted, partitions: [{ partition: 0, offset: '0' }] }))
    assert.ok(errorTypes(e).has('POLICY_VIOLATION'), `${e} ${[...errorTypes(e)]}`)
  })
})
