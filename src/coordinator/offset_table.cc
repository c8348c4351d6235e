#include "coordinator/offset_table.h"

#include <set>

namespace freshet::coordinator {

const CommittedOffset* OffsetTable::find(const std::string& group, const std::string& topic,
                                         int32_t partition) const {
  auto g = by_group_.find(group);
  if (g == by_group_.end()) return nullptr;
  auto t = g->second.find(topic);
  if (t == g->second.end()) return nullptr;
  auto p = t->second.find(partition);
  return p == t->second.end() ? nullptr : &p->second;
}

const OffsetTable::TopicOffsets* OffsetTable::group_offsets(const std::string& group) const {
  auto g = by_group_.find(group);
  return g == by_group_.end() ? nullptr : &g->second;
}

void OffsetTable::put(const std::string& group, const std::string& topic, int32_t partition,
                      CommittedOffset offset) {
  by_group_[group][topic][partition] = std::move(offset);
}

void OffsetTable::erase(const std::string& group, const std::string& topic, int32_t partition) {
  auto g = by_group_.find(group);
  if (g == by_group_.end()) return;
  auto t = g->second.find(topic);
  if (t == g->second.end()) return;
  t->second.erase(partition);
  if (t->second.empty()) g->second.erase(t);
  if (g->second.empty()) by_group_.erase(g);
}

void OffsetTable::add_pending(const std::string& group, const std::string& topic, int32_t partition) {
  ++pending_[group][{topic, partition}];
}

void OffsetTable::remove_pending(const std::string& group, const std::string& topic, int32_t partition) {
  auto g = pending_.find(group);
  if (g == pending_.end()) return;
  auto p = g->second.find({topic, partition});
  if (p == g->second.end()) return;
  if (--p->second == 0) g->second.erase(p);
  if (g->second.empty()) pending_.erase(g);
}

bool OffsetTable::has_pending(const std::string& group, const std::string& topic, int32_t partition) const {
  auto g = pending_.find(group);
  return g != pending_.end() && g->second.count({topic, partition}) != 0;
}

std::vector<std::pair<std::string, int32_t>> OffsetTable::committed_partitions(const std::string& group) const {
  std::set<std::pair<std::string, int32_t>> all;
  if (const auto* offsets = group_offsets(group)) {
    for (const auto& [topic, partitions] : *offsets) {
      for (const auto& [partition, offset] : partitions) all.emplace(topic, partition);
    }
  }
  if (auto g = pending_.find(group); g != pending_.end()) {
    for (const auto& [key, count] : g->second) all.insert(key);
  }
  return {all.begin(), all.end()};
}

}  // namespace freshet::coordinator
