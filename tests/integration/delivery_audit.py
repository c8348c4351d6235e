"""Checks what a producer driver was told against what the partitions hold.

The drivers (client_drivers.py) give record i the value "i". `audit(acks, records)` takes the
driver's ack events and every record read back (helpers.Record) and lists, in a DeliveryAudit,
each way the log breaks "every acknowledged record is stored exactly once, in order per
partition, at the offset its ack gave".
"""
import collections
import dataclasses


@dataclasses.dataclass
class DeliveryAudit:
    missing: list      # acknowledged seqs the log does not hold
    duplicated: dict   # seq -> how many times the log holds it (more than once)
    misplaced: list    # (seq, acked (partition, offset), stored (partition, offset))
    out_of_order: list  # (partition, offset, seq) of a record not after its predecessor's seq
    foreign: list      # (partition, offset, value) of records no driver wrote

    def problems(self):
        """A one-line-per-kind summary, "" when the log is exactly what was acknowledged."""
        lines = []
        for name in ("missing", "duplicated", "misplaced", "out_of_order", "foreign"):
            found = getattr(self, name)
            if found:
                sample = list(found.items() if isinstance(found, dict) else found)[:10]
                lines.append(f"{len(found)} {name}: {sample}")
        return "\n".join(lines)


def audit(acks, records):
    """acks: ack events ({"seq", "partition", "offset"}); records: every record of the topic."""
    stored = collections.defaultdict(list)  # seq -> [(partition, offset)]
    foreign = []
    out_of_order = []
    last_seq = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        try:
            seq = int(r.value)
        except (TypeError, ValueError):
            foreign.append((r.partition, r.offset, r.value))
            continue
        stored[seq].append((r.partition, r.offset))
        if r.partition in last_seq and seq <= last_seq[r.partition]:
            out_of_order.append((r.partition, r.offset, seq))
        last_seq[r.partition] = seq
    missing, misplaced = [], []
    for ack in acks:
        seq, where = ack["seq"], (ack["partition"], ack["offset"])
        if seq not in stored:
            missing.append(seq)
        elif where not in stored[seq]:
            misplaced.append((seq, where, stored[seq]))
    duplicated = {seq: len(places) for seq, places in stored.items() if len(places) > 1}
    return DeliveryAudit(sorted(missing), duplicated, misplaced, out_of_order, foreign)


def audit_compacted(acks, records, keys, low_watermarks):
    """The same for a compacted topic whose drivers ran with `--keys keys`: of each key, the
    latest acknowledged record of each partition (at or above its low watermark) must be stored,
    at its offset; older ones may be gone. Every record stored is at the offset its ack gave,
    once, in order."""
    latest = {}  # (partition, key) -> ack
    for ack in acks:
        if ack["offset"] < low_watermarks[ack["partition"]]:
            continue
        slot = (ack["partition"], ack["seq"] % keys)
        if slot not in latest or latest[slot]["offset"] < ack["offset"]:
            latest[slot] = ack
    found = audit(list(latest.values()), records)
    acked_at = {ack["seq"]: (ack["partition"], ack["offset"]) for ack in acks}
    for r in records:
        try:
            seq = int(r.value)
        except (TypeError, ValueError):
            continue
        if seq in acked_at and acked_at[seq] != (r.partition, r.offset):
            found.misplaced.append((seq, acked_at[seq], [(r.partition, r.offset)]))
    return found
