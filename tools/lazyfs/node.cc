#include "node.h"

namespace lazyfs {

Node::Node(Kind kind, uint64_t id, mode_t mode, std::weak_ptr<Node> parent)
    : kind(kind), id(id), mode(mode), parent(std::move(parent)) {
  touch();
}

void Node::touch() {
  clock_gettime(CLOCK_REALTIME, &mtime);
  ctime = mtime;
}

}  // namespace lazyfs
