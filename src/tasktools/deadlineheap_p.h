// Copyright (C) 2026 The TaskTools authors. SPDX-License-Identifier: MIT
#ifndef TASKTOOLS_DEADLINEHEAP_P_H
#define TASKTOOLS_DEADLINEHEAP_P_H

//
//  W A R N I N G: private header, not part of the TaskTools API.
//

#include <QtCore/qglobal.h>

#include <cstddef>
#include <vector>

namespace TaskTools::Detail {

// A binary min-heap of deadlines, one entry (16 bytes) per armed timeout. Each node records its
// position in `heapIndex`, so removing an arbitrary entry (a task that finished in time) is
// O(log n) with no search. Node is any type with an `int heapIndex` member (-1 = not armed).
// Single-threaded: the engine uses it on the pool thread only.
template<typename Node>
class DeadlineHeap
{
public:
    bool isEmpty() const { return m_entries.empty(); }
    std::size_t size() const { return m_entries.size(); }
    qint64 topDeadline() const { return m_entries.front().deadline; }
    Node *top() const { return m_entries.front().node; }

    void push(Node *node, qint64 deadline)
    {
        m_entries.push_back({deadline, node});
        siftUp(m_entries.size() - 1);
    }

    // Removes `node` if it is armed; does nothing otherwise.
    void remove(Node *node)
    {
        const int index = node->heapIndex;
        if (index < 0)
            return;
        node->heapIndex = -1;
        const std::size_t i = std::size_t(index);
        const std::size_t last = m_entries.size() - 1;
        if (i != last) {
            m_entries[i] = m_entries[last];
            m_entries.pop_back();
            // The moved entry may belong above or below its new place.
            if (i > 0 && m_entries[i].deadline < m_entries[(i - 1) / 2].deadline)
                siftUp(i);
            else
                siftDown(i);
        } else {
            m_entries.pop_back();
        }
    }

    Node *pop()
    {
        Node *node = m_entries.front().node;
        remove(node);
        return node;
    }

    void clear()
    {
        for (const Entry &e : m_entries)
            e.node->heapIndex = -1;
        m_entries.clear();
    }

private:
    struct Entry
    {
        qint64 deadline;
        Node *node;
    };

    void place(std::size_t i, const Entry &e)
    {
        m_entries[i] = e;
        e.node->heapIndex = int(i);
    }

    void siftUp(std::size_t i)
    {
        const Entry e = m_entries[i];
        while (i > 0) {
            const std::size_t parent = (i - 1) / 2;
            if (!(e.deadline < m_entries[parent].deadline))
                break;
            place(i, m_entries[parent]);
            i = parent;
        }
        place(i, e);
    }

    void siftDown(std::size_t i)
    {
        const Entry e = m_entries[i];
        const std::size_t n = m_entries.size();
        for (;;) {
            std::size_t child = 2 * i + 1;
            if (child >= n)
                break;
            if (child + 1 < n && m_entries[child + 1].deadline < m_entries[child].deadline)
                ++child;
            if (!(m_entries[child].deadline < e.deadline))
                break;
            place(i, m_entries[child]);
            i = child;
        }
        place(i, e);
    }

    std::vector<Entry> m_entries;
};

} // namespace TaskTools::Detail

#endif // TASKTOOLS_DEADLINEHEAP_P_H
