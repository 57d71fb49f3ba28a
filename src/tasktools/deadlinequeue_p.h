// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_DEADLINEQUEUE_P_H
#define TASKTOOLS_DEADLINEQUEUE_P_H

//
//  W A R N I N G: private header, not part of the TaskTools API.
//

#include <QtCore/qglobal.h>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace TaskTools::Detail {

// The engine's armed timeouts, in deadline order, with O(1) arm, cancel and expiry.
//
// A pool has one timeout for all its tasks and its clock is monotonic, so deadlines
// (start + timeout) arrive in non-decreasing order: a FIFO is already sorted and no heap is
// needed. Arming appends an entry (16 bytes); canceling (a task that finished in time, in any
// order) empties its slot in place; the head skips empty slots, and the vector is compacted
// once three quarters of it are empty slots, so the memory stays within four times the live
// entries (amortized O(1): each compaction moves a third as many entries as were canceled
// since the last one; a lower threshold measured slower at 1M in flight). Each node records its
// slot in `heapIndex` (-1 = not armed); Node is any type with an `int heapIndex` member. A deadline
// earlier than the last one armed (only a clock that went back could do that) is treated as equal
// to it: the order, and so the queue, stays valid. Single-threaded: the engine uses it on the pool
// thread only. Same interface as DeadlineHeap.
template<typename Node>
class DeadlineQueue
{
public:
    bool isEmpty() const { return m_live == 0; }
    std::size_t size() const { return m_live; }
    qint64 topDeadline() const { return m_entries[m_head].deadline; }
    Node *top() const { return m_entries[m_head].node; }

    void push(Node *node, qint64 deadline)
    {
        if (!m_entries.empty())
            deadline = std::max(deadline, m_entries.back().deadline);
        node->heapIndex = int(m_entries.size());
        m_entries.push_back({deadline, node});
        ++m_live;
    }

    // Removes `node` if it is armed; does nothing otherwise.
    void remove(Node *node)
    {
        const int index = node->heapIndex;
        if (index < 0)
            return;
        node->heapIndex = -1;
        m_entries[std::size_t(index)].node = nullptr;
        --m_live;
        if (m_live == 0) {
            m_entries.clear();
            m_head = 0;
        } else if (std::size_t(index) == m_head) {
            while (!m_entries[m_head].node)
                ++m_head;
        }
        if (m_entries.size() >= 64 && m_live * 4 <= m_entries.size())
            compact();
    }

    Node *pop()
    {
        Node *node = top();
        remove(node);
        return node;
    }

    void clear()
    {
        for (std::size_t i = m_head; i < m_entries.size(); ++i) {
            if (Entry &e = m_entries[i]; e.node)
                e.node->heapIndex = -1;
        }
        m_entries.clear();
        m_head = 0;
        m_live = 0;
    }

private:
    struct Entry
    {
        qint64 deadline;
        Node *node; // null: canceled
    };

    // Moves the live entries to the front, keeping their order.
    void compact()
    {
        std::size_t out = 0;
        for (std::size_t i = m_head; i < m_entries.size(); ++i) {
            const Entry e = m_entries[i];
            if (!e.node)
                continue;
            e.node->heapIndex = int(out);
            m_entries[out++] = e;
        }
        m_entries.resize(out);
        m_head = 0;
        if (m_entries.capacity() > 4 * out + 64)
            m_entries.shrink_to_fit(); // after a burst, give the memory back
    }

    std::vector<Entry> m_entries;
    std::size_t m_head = 0; // the first live entry (when any)
    std::size_t m_live = 0;
};

} // namespace TaskTools::Detail

#endif // TASKTOOLS_DEADLINEQUEUE_P_H
