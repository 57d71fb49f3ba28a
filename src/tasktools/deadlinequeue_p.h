// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_DEADLINEQUEUE_P_H
#define TASKTOOLS_DEADLINEQUEUE_P_H

//
//  W A R N I N G: private header, not part of the TaskTools API.
//

#include <QtCore/qglobal.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <type_traits>

namespace TaskTools::Detail {

// The engine's armed timeouts, in deadline order, with O(1) arm, cancel and expiry.
//
// A pool has one timeout for all its tasks and its clock is monotonic, so deadlines
// (start + timeout) arrive in non-decreasing order: a FIFO is already sorted and no heap is
// needed. Arming appends an entry (16 bytes); canceling (a task that finished in time, in any
// order) empties its slot in place; the head skips empty slots, and the block is compacted
// once three quarters of it are empty slots, so the memory stays within four times the live
// entries (amortized O(1): each compaction moves a third as many entries as were canceled
// since the last one; a lower threshold measured slower at 1M in flight). Each node records its
// slot in `heapIndex` (-1 = not armed); Node is any type with an `int heapIndex` member. A deadline
// earlier than the last one armed (only a clock that went back could do that) is treated as equal
// to it: the order, and so the queue, stays valid. Single-threaded: the engine uses it on the pool
// thread only. Same interface as DeadlineHeap.
//
// The entries live in one block grown with realloc(), not a std::vector: an entry is trivially
// copyable, and glibc grows a large block with mremap(), which moves its pages instead of
// copying them into a new block. A vector growing to 1M entries wrote 32 MB to hold 16 MB, each
// new page faulted in: on a VM where a page fault costs ~10 us (tasktools_bench timeouts), arming
// 1M timeouts took 109-122 ns each, now 60-68 (cancel unchanged, 16.8 B per entry).
template<typename Node>
class DeadlineQueue
{
public:
    DeadlineQueue() = default;
    DeadlineQueue(const DeadlineQueue &) = delete;
    DeadlineQueue &operator=(const DeadlineQueue &) = delete;
    ~DeadlineQueue() { std::free(m_entries); }

    bool isEmpty() const { return m_live == 0; }
    std::size_t size() const { return m_live; }
    qint64 topDeadline() const { return m_entries[m_head].deadline; }
    Node *top() const { return m_entries[m_head].node; }

    void push(Node *node, qint64 deadline)
    {
        if (m_size > 0)
            deadline = std::max(deadline, m_entries[m_size - 1].deadline);
        if (m_size == m_capacity)
            reallocate(std::max<std::size_t>(2 * m_capacity, 64));
        node->heapIndex = int(m_size);
        m_entries[m_size++] = {deadline, node};
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
            m_size = 0;
            m_head = 0;
        } else if (std::size_t(index) == m_head) {
            while (!m_entries[m_head].node)
                ++m_head;
        }
        if (m_size >= 64 && m_live * 4 <= m_size)
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
        for (std::size_t i = m_head; i < m_size; ++i) {
            if (Entry &e = m_entries[i]; e.node)
                e.node->heapIndex = -1;
        }
        m_size = 0;
        m_head = 0;
        m_live = 0;
    }

private:
    struct Entry
    {
        qint64 deadline;
        Node *node; // null: canceled
    };
    static_assert(std::is_trivially_copyable_v<Entry>, "moved by realloc()");

    // Moves the live entries to the front, keeping their order.
    void compact()
    {
        std::size_t out = 0;
        for (std::size_t i = m_head; i < m_size; ++i) {
            const Entry e = m_entries[i];
            if (!e.node)
                continue;
            e.node->heapIndex = int(out);
            m_entries[out++] = e;
        }
        m_size = out;
        m_head = 0;
        if (m_capacity > 4 * out + 64)
            reallocate(std::max<std::size_t>(out, 64)); // after a burst, give the memory back
    }

    void reallocate(std::size_t capacity)
    {
        void *block = std::realloc(m_entries, capacity * sizeof(Entry));
        if (!block)
            throw std::bad_alloc();
        m_entries = static_cast<Entry *>(block);
        m_capacity = capacity;
    }

    Entry *m_entries = nullptr;
    std::size_t m_size = 0; // entries in use, canceled ones included
    std::size_t m_capacity = 0;
    std::size_t m_head = 0; // the first live entry (when any)
    std::size_t m_live = 0;
};

} // namespace TaskTools::Detail

#endif // TASKTOOLS_DEADLINEQUEUE_P_H
