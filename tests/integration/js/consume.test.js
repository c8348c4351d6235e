'use strict'
// kafkajs consumer groups against a real freshet broker: run() with eachMessage from the
// beginning, members splitting partitions and taking over on disconnect, auto-commit and
// commitOffsets, seek, and the admin's group calls (listGroups, describeGroups, fetchOffsets,
// resetOffsets, setOffsets, deleteGroups). Reading without a group is covered in
// produce.test.js through kafkajs's own Fetch request.
const { describe, it, before, after, afterEach } = require('node:test')
const assert = require('node:assert/strict')
const { Broker } = require('./broker')
const { kafka, producer, uniqueTopic, errorTypes, rejection, waitFor, groupConsumer } = require('./clients')

// No initial rebalance delay, and a session-timeout floor low enough for short sessions.
const SETTINGS = { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 500 }

describe('kafkajs consumer groups', () => {
  let broker
  let admin
  let p
  let consumers = []

  before(async () => {
    broker = await new Broker({ settings: SETTINGS, smp: 2 }).start()
    admin = kafka(broker).admin()
    await admin.connect()
    p = producer(broker)
    await p.connect()
  })

  afterEach(async () => {
    await Promise.all(consumers.map(c => c.disconnect().catch(() => {})))
    consumers = []
  })

  after(async () => {
    if (p) await p.disconnect()
    if (admin) await admin.disconnect()
    if (broker) await broker.close()
  })

  async function newTopic(numPartitions) {
    const topic = uniqueTopic()
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions }] }), true)
    return topic
  }

  async function produceSpread(topic, partitions, count, tag = 'v') {
    await p.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({
      partition: i % partitions, value: `${tag}${i}` })) })
  }

  // A connected, subscribed group consumer that records what it reads and its assignments.
  async function member(groupId, topic, options = {}) {
    const c = groupConsumer(broker, groupId, options)
    consumers.push(c)
    c.records = []
    c.assignment = null
    c.on(c.events.GROUP_JOIN, e => { c.assignment = e.payload.memberAssignment[topic] || [] })
    await c.connect()
    await c.subscribe({ topics: [topic], fromBeginning: true })
    return c
  }

  function runRecording(c, options = {}) {
    return c.run({
      ...options,
      eachMessage: async ({ partition, message }) => {
        c.records.push([partition, Number(message.offset), message.value.toString()])
      },
    })
  }

  async function committed(groupId, topic) {
    const [result] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return Object.fromEntries(result.partitions.map(x => [x.partition, x.offset]))
  }

  it('consumes a topic from the beginning with run() and auto-commits', async () => {
    const topic = await newTopic(3)
    await produceSpread(topic, 3, 30)
    const groupId = uniqueTopic('js-group')
    const c = await member(groupId, topic)
    await runRecording(c)
    await waitFor(() => c.records.length === 30, 'all 30 records')
    assert.deepEqual(c.assignment.slice().sort(), [0, 1, 2])
    for (const partition of [0, 1, 2]) {
      const offsets = c.records.filter(r => r[0] === partition).map(r => r[1])
      assert.deepEqual(offsets, Array.from({ length: 10 }, (_, i) => i))
    }
    await waitFor(async () => JSON.stringify(await committed(groupId, topic)) ===
      JSON.stringify({ 0: '10', 1: '10', 2: '10' }), 'auto-committed offsets 10/10/10')
  })

  it('splits partitions between two members and hands them over on disconnect', async () => {
    const topic = await newTopic(4)
    const groupId = uniqueTopic('js-group')
    const a = await member(groupId, topic)
    await runRecording(a)
    await waitFor(() => a.assignment && a.assignment.length === 4, 'the first member owning 4 partitions')
    const b = await member(groupId, topic)
    await runRecording(b)
    await waitFor(() => a.assignment.length === 2 && b.assignment && b.assignment.length === 2,
      'two members with 2 partitions each')
    assert.deepEqual([...a.assignment, ...b.assignment].sort(), [0, 1, 2, 3])
    await produceSpread(topic, 4, 40)
    await waitFor(() => a.records.length + b.records.length === 40, 'the group reading 40 records')
    assert.ok(a.records.every(r => a.assignment.includes(r[0])))
    assert.ok(b.records.every(r => b.assignment.includes(r[0])))

    await b.disconnect()  // LeaveGroup: the other member takes over at once
    await waitFor(() => a.assignment.length === 4, 'the remaining member owning 4 partitions')
    await produceSpread(topic, 4, 8, 'after')
    await waitFor(() => a.records.filter(r => r[2].startsWith('after')).length === 8,
      'the remaining member reading every partition')
  })

  it('commitOffsets without auto-commit; a new member continues after the commit', async () => {
    const topic = await newTopic(1)
    await produceSpread(topic, 1, 20)
    const groupId = uniqueTopic('js-group')
    const c = await member(groupId, topic)
    await runRecording(c, { autoCommit: false })
    await waitFor(() => c.records.length === 20, 'all 20 records')
    await c.commitOffsets([{ topic, partition: 0, offset: '12' }])
    assert.deepEqual(await committed(groupId, topic), { 0: '12' })
    await c.disconnect()

    const again = await member(groupId, topic)
    await runRecording(again, { autoCommit: false })
    await waitFor(() => again.records.length === 8, 'the 8 records after the commit')
    assert.deepEqual(again.records.map(r => r[1]), [12, 13, 14, 15, 16, 17, 18, 19])
  })

  it('seeks a group consumer to an offset', async () => {
    const topic = await newTopic(1)
    await produceSpread(topic, 1, 10)
    const groupId = uniqueTopic('js-group')
    const c = await member(groupId, topic)
    await runRecording(c)
    await waitFor(() => c.records.length === 10, 'all 10 records')
    c.seek({ topic, partition: 0, offset: '4' })
    await waitFor(() => c.records.length === 16, 'the records after the seek again')
    assert.deepEqual(c.records.slice(10).map(r => r[1]), [4, 5, 6, 7, 8, 9])
  })

  it('admin lists, describes, fetches, resets, sets offsets of and deletes groups', async () => {
    const topic = await newTopic(2)
    await produceSpread(topic, 2, 10)
    const groupId = uniqueTopic('js-group')
    const c = await member(groupId, topic, { clientId: 'js-admin-test' })
    await runRecording(c)
    await waitFor(() => c.records.length === 10, 'all 10 records')
    await waitFor(async () => JSON.stringify(await committed(groupId, topic)) === JSON.stringify({ 0: '5', 1: '5' }),
      'auto-committed offsets')

    const { groups: listed } = await admin.listGroups()
    assert.deepEqual(listed.filter(g => g.groupId === groupId), [{ groupId, protocolType: 'consumer' }])
    const { groups: [described] } = await admin.describeGroups([groupId])
    assert.equal(described.errorCode, 0)
    assert.equal(described.state, 'Stable')
    assert.equal(described.protocolType, 'consumer')
    assert.equal(described.protocol, 'RoundRobinAssigner')
    assert.equal(described.members.length, 1)
    assert.equal(described.members[0].clientId, 'js-admin-test')

    // Offsets can only be changed while the group has no running member.
    const refused = await rejection(admin.resetOffsets({ groupId, topic, earliest: true }))
    assert.match(String(refused), /no running instances/)
    const nonEmpty = await rejection(admin.deleteGroups([groupId]))
    assert.ok(errorTypes(nonEmpty).has('NON_EMPTY_GROUP') ||
      (nonEmpty.groups || []).some(g => g.error && g.error.type === 'NON_EMPTY_GROUP'), String(nonEmpty))
    await c.disconnect()
    const { groups: [empty] } = await admin.describeGroups([groupId])
    assert.equal(empty.state, 'Empty')

    // resetOffsets/setOffsets join the group with a paused consumer, seek and commit; each
    // takes kafkajs's maxWaitTime (5 s: its fetch loop sleeps while every partition is
    // paused). resetOffsets commits kafkajs's special offset itself (-2 = earliest), as it
    // does against Kafka; its consumers resolve it when they start.
    await admin.resetOffsets({ groupId, topic, earliest: true })
    assert.deepEqual(await committed(groupId, topic), { 0: '-2', 1: '-2' })
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '4' }] })
    assert.deepEqual(await committed(groupId, topic), { 0: '3', 1: '4' })
    const again = await member(groupId, topic)
    await runRecording(again)
    await waitFor(() => again.records.length === 3, 'the records after the set offsets')
    assert.deepEqual(again.records.map(r => [r[0], r[1]]).sort(), [[0, 3], [0, 4], [1, 4]])
    await again.disconnect()

    assert.deepEqual(await admin.deleteGroups([groupId]), [{ groupId, errorCode: 0 }])
    assert.ok(!(await admin.listGroups()).groups.some(g => g.groupId === groupId))
    assert.deepEqual(await committed(groupId, topic), { 0: '-1', 1: '-1' })
    const unknown = await rejection(admin.deleteGroups([uniqueTopic('js-group')]))
    assert.ok(errorTypes(unknown).has('GROUP_ID_NOT_FOUND') ||
      (unknown.groups || []).some(g => g.error && g.error.type === 'GROUP_ID_NOT_FOUND'), String(unknown))
  })
})
